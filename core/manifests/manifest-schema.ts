/**
 * One schema per kind, chosen by the document's `kind`. An unknown or missing kind is reported
 * on its own: validating against every schema would only produce noise.
 */
import { z } from 'zod';
import { appSpecSchema } from './app-schema';
import { closest, describeValue } from './describe-value';
import { csiDriverName, dnsName } from './fields';
import { pluginSpecSchema } from './plugin-schema';
import { secretDataSchema } from './secret-schema';
import { storageClassSpecSchema } from './storage-class-schema';
import { MANIFEST_KINDS } from './types';
import type { Manifest, ManifestKind } from './types';
import { errorMap, toRawIssues } from './zod-issues';
import type { RawIssue } from './zod-issues';

/** Optional, for users who write Kubernetes-style headers; only this version exists. */
const apiVersion = z.literal('berth/v1').optional();

const schemas: { readonly [K in ManifestKind]: z.ZodType<Extract<Manifest, { kind: K }>> } = {
  App: z
    .strictObject({ apiVersion, kind: z.literal('App'), name: dnsName(), spec: appSpecSchema })
    .transform((m) => ({ kind: m.kind, name: m.name, spec: m.spec })),
  StorageClass: z
    .strictObject({ apiVersion, kind: z.literal('StorageClass'), name: dnsName(), spec: storageClassSpecSchema })
    .transform((m) => ({ kind: m.kind, name: m.name, spec: m.spec })),
  Plugin: z
    .strictObject({ apiVersion, kind: z.literal('Plugin'), name: csiDriverName(), spec: pluginSpecSchema.default({ nodes: {}, pools: [] }) })
    .transform((m) => ({ kind: m.kind, name: m.name, spec: m.spec })),
  Secret: z
    .strictObject({ apiVersion, kind: z.literal('Secret'), name: dnsName(), data: secretDataSchema })
    .transform((m) => ({ kind: m.kind, name: m.name, data: m.data })),
};

export type ValidationResult = { readonly ok: true; readonly manifest: Manifest } | { readonly ok: false; readonly issues: RawIssue[] };

/** Validates one parsed document (a plain JS value). */
export function validateDocument(value: unknown): ValidationResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail([], `expected a manifest (a mapping with kind and name), got ${describeValue(value)}`);
  }
  const kind = (value as { kind?: unknown }).kind;
  if (kind === undefined) return fail(['kind'], `is required; expected one of ${MANIFEST_KINDS.join(', ')}`);
  if (typeof kind !== 'string' || !isKind(kind)) {
    const hint = typeof kind === 'string' ? closest(kind, MANIFEST_KINDS) : undefined;
    return fail(['kind'], `unknown kind ${describeValue(kind)}; expected one of ${MANIFEST_KINDS.join(', ')}${hint ? ` (did you mean ${hint}?)` : ''}`);
  }
  const result = schemas[kind].safeParse(value, { error: errorMap(kind === 'Secret') });
  return result.success ? { ok: true, manifest: result.data } : { ok: false, issues: toRawIssues(result.error) };
}

function isKind(kind: string): kind is ManifestKind {
  return (MANIFEST_KINDS as readonly string[]).includes(kind);
}

function fail(segments: RawIssue['segments'], message: string): ValidationResult {
  return { ok: false, issues: [{ segments, message }] };
}
