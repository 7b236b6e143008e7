/**
 * The cluster's default storage class (Kubernetes' `is-default-class`): a claim template without
 * `storageClass` gets it at apply, so a stored spec always names its class and a later change of the
 * default never moves existing claims. At most one class is the default.
 */
import type { ManifestIssue } from './errors';
import { objectKey } from './parse';
import { DEFAULT_STORAGE_CLASS, type LocatedManifest, type StorageClassSpec } from './types';

/** The stored classes, by name (only those marked default matter here). */
export interface StoredClasses {
  list(): readonly { name: string; spec: Pick<StorageClassSpec, 'default'> }[];
}

/**
 * The manifests with every unnamed claim class set to the default — a class of the same input counts,
 * and wins over the stored ones — and the problems: no default for a claim that needs one, or a
 * second default.
 */
export function resolveDefaultStorageClass(
  manifests: readonly LocatedManifest[],
  stored: StoredClasses,
): { manifests: LocatedManifest[]; issues: ManifestIssue[] } {
  const issues: ManifestIssue[] = [];
  const isDefault = new Map<string, boolean>(stored.list().map((c) => [c.name, c.spec.default === true]));
  for (const { manifest } of manifests) if (manifest.kind === 'StorageClass') isDefault.set(manifest.name, manifest.spec.default === true);
  const defaults = [...isDefault].filter(([, d]) => d).map(([name]) => name);
  for (const { manifest, documentIndex } of manifests) {
    if (manifest.kind === 'StorageClass' && manifest.spec.default && defaults.length > 1) {
      const others = defaults.filter((n) => n !== manifest.name);
      issues.push({
        documentIndex,
        object: objectKey(manifest),
        path: 'spec.default',
        message: `storage class ${others.join(', ')} is the default already; a cluster has one (set default: false there first)`,
      });
    }
  }
  const defaultClass = defaults.length === 1 ? defaults[0] : undefined;
  const resolved = manifests.map((located): LocatedManifest => {
    const { manifest, documentIndex } = located;
    if (manifest.kind !== 'App' || !manifest.spec.volumes.some((v) => v.claim.storageClass === DEFAULT_STORAGE_CLASS)) return located;
    const volumes = manifest.spec.volumes.map((v, i) => {
      if (v.claim.storageClass !== DEFAULT_STORAGE_CLASS) return v;
      if (!defaultClass) {
        issues.push({
          documentIndex,
          object: objectKey(manifest),
          path: `spec.volumes[${i}].claim.storageClass`,
          message: 'no storage class given and the cluster has no default one: name a class, or mark one with default: true',
        });
        return v;
      }
      return { ...v, claim: { ...v.claim, storageClass: defaultClass } };
    });
    return { ...located, manifest: { ...manifest, spec: { ...manifest.spec, volumes } } };
  });
  return { manifests: resolved, issues };
}
