/** Adapts a store transaction to core/manifests' ReferenceLookup, for `checkReferences` inside apply. */
import type { ReferenceLookup } from '../manifests';
import type { StoreReader } from './store';

export function storeReferenceLookup(tx: StoreReader): ReferenceLookup {
  return {
    hasStorageClass: (name) => tx.storageClasses.get(name) !== undefined,
    hasPlugin: (name) => tx.plugins.get(name) !== undefined,
    hasSecret: (name) => tx.secrets.get(name) !== undefined,
    storageClassNames: () => tx.storageClasses.list().map((s) => s.name),
  };
}
