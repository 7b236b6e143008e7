/** Apps: spec + generation (bumped on spec change) + version (every write) + phase. */
import type Database from 'better-sqlite3';
import type { AppSpec } from '../../manifests';
import { ObjectDeletingError } from '../errors';
import type { AppPhase, AppRecord } from '../records';
import type { Applied, AppRepository, WriteOptions } from '../store';
import { DocumentTable } from './document-table';
import { applySpec } from './named-spec';
import type { TxState } from './tx-state';

export class SqliteApps implements AppRepository {
  private readonly table: DocumentTable<AppRecord>;

  constructor(db: Database.Database, tx: TxState, now: () => number) {
    this.table = new DocumentTable<AppRecord>(db, { table: 'apps', kind: 'app', keyOf: (a) => a.name, indexed: {} }, tx, now);
  }

  get(name: string): AppRecord | undefined {
    return this.table.get(name);
  }

  require(name: string): AppRecord {
    return this.table.require(name);
  }

  list(): AppRecord[] {
    return this.table.list();
  }

  /** @throws ConflictError, ObjectDeletingError (an app being deleted cannot be re-applied until it is gone) */
  apply(name: string, spec: AppSpec, options: WriteOptions = {}): Applied<AppRecord> {
    const current = this.table.get(name);
    if (current?.phase === 'deleting') throw new ObjectDeletingError('app', name);
    return applySpec(
      this.table,
      name,
      spec,
      options,
      (s) => ({ name, spec: s, generation: 1, phase: 'active' as AppPhase }),
      (c, s) => ({ spec: s, generation: c.generation + 1 }),
    );
  }

  setPhase(name: string, phase: AppPhase, options: WriteOptions = {}): AppRecord {
    return this.table.update(name, { phase }, options);
  }

  delete(name: string, options: WriteOptions = {}): AppRecord | undefined {
    return this.table.delete(name, options);
  }
}
