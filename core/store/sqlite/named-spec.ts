/**
 * `apply` semantics for named objects (storage classes, plugins, apps): create if absent, update
 * if the spec differs, and leave the record — version included — untouched if it is the same, so
 * applying a file twice changes nothing.
 */
import { ConflictError } from '../errors';
import type { Body, Meta } from '../records';
import type { Applied, WriteOptions } from '../store';
import type { DocumentTable } from './document-table';
import { sameJson } from './stable-json';

export function applySpec<R extends Meta & { readonly name: string; readonly spec: S }, S>(
  table: DocumentTable<R>,
  name: string,
  spec: S,
  options: WriteOptions,
  initial: (spec: S) => Body<R>,
  changed: (current: R, spec: S) => Partial<Body<R>> = () => ({ spec }) as unknown as Partial<Body<R>>,
): Applied<R> {
  const current = table.get(name);
  if (options.expectedVersion !== undefined && options.expectedVersion !== (current?.version ?? 0)) {
    throw new ConflictError(table.kind, name, options.expectedVersion, current?.version);
  }
  if (!current) return { record: table.create(initial(spec)), change: 'created' };
  if (sameJson(current.spec, spec)) return { record: current, change: 'unchanged' };
  return { record: table.update(name, changed(current, spec)), change: 'updated' };
}
