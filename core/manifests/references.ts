/**
 * Checks that need the store: does every storage class, plugin and secret a manifest names exist?
 * Separate from parsing so `apply` can run it against the store (plus the other manifests of the
 * same input — a file may define a StorageClass and the App using it) and refuse the whole input
 * before changing anything.
 */
import { closest } from './describe-value';
import { UnresolvedReferenceError } from './errors';
import type { ManifestIssue } from './errors';
import { objectKey } from './parse';
import type { LocatedManifest, Manifest } from './types';

/** Names already stored. Synchronous, so it can be answered inside a store transaction. */
export interface ReferenceLookup {
  hasStorageClass(name: string): boolean;
  hasPlugin(name: string): boolean;
  hasSecret(name: string): boolean;
  /** Known names, only used to suggest a correction ("did you mean"). */
  storageClassNames?(): readonly string[];
}

type RefKind = 'StorageClass' | 'Plugin' | 'Secret';

/** Every unresolved reference in `manifests`; empty when all resolve. */
export function checkReferences(manifests: readonly LocatedManifest[], lookup: ReferenceLookup): ManifestIssue[] {
  const inBatch = new Set(manifests.map((m) => objectKey(m.manifest)));
  const exists = (kind: RefKind, name: string): boolean => {
    if (inBatch.has(`${kind}/${name}`)) return true;
    if (kind === 'StorageClass') return lookup.hasStorageClass(name);
    if (kind === 'Plugin') return lookup.hasPlugin(name);
    return lookup.hasSecret(name);
  };
  const issues: ManifestIssue[] = [];
  for (const { manifest, documentIndex } of manifests) {
    for (const ref of referencesOf(manifest)) {
      if (exists(ref.kind, ref.name)) continue;
      issues.push({ documentIndex, object: objectKey(manifest), path: ref.path, message: missingMessage(ref.kind, ref.name, manifests, lookup) });
    }
  }
  return issues;
}

/** Like checkReferences, but throws. @throws UnresolvedReferenceError */
export function assertReferences(manifests: readonly LocatedManifest[], lookup: ReferenceLookup): void {
  const issues = checkReferences(manifests, lookup);
  if (issues.length > 0) throw new UnresolvedReferenceError(issues);
}

interface Reference {
  readonly kind: RefKind;
  readonly name: string;
  readonly path: string;
}

function referencesOf(manifest: Manifest): Reference[] {
  switch (manifest.kind) {
    case 'App':
      return manifest.spec.volumes.map((v, i) => ({ kind: 'StorageClass', name: v.claim.storageClass, path: `spec.volumes[${i}].claim.storageClass` }));
    case 'StorageClass': {
      const refs: Reference[] = [{ kind: 'Plugin', name: manifest.spec.plugin, path: 'spec.plugin' }];
      for (const field of ['provisionerSecret', 'publishSecret', 'stageSecret'] as const) {
        const name = manifest.spec[field];
        if (name !== undefined) refs.push({ kind: 'Secret', name, path: `spec.${field}` });
      }
      return refs;
    }
    case 'Plugin':
    case 'Secret':
      return [];
  }
}

function missingMessage(kind: RefKind, name: string, manifests: readonly LocatedManifest[], lookup: ReferenceLookup): string {
  switch (kind) {
    case 'StorageClass': {
      const known = [...(lookup.storageClassNames?.() ?? []), ...manifests.filter((m) => m.manifest.kind === 'StorageClass').map((m) => m.manifest.name)];
      const hint = closest(name, known);
      return `unknown storage class ${JSON.stringify(name)}${hint ? ` (did you mean ${hint}?)` : ''}`;
    }
    case 'Plugin':
      return `no plugin named ${JSON.stringify(name)} is registered (apply a kind: Plugin manifest or start the plugin on a node)`;
    case 'Secret':
      return `unknown secret ${JSON.stringify(name)} (apply a kind: Secret manifest first)`;
  }
}
