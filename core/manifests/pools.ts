/**
 * Which of a plugin's pools a storage class provisions into. A pool matches when every one of its
 * GetCapacity parameters appears with the same value in the class parameters — the same parameters
 * then go to CreateVolume, so the capacity the scheduler counted is the capacity the plugin uses.
 */
import type { PluginSpec, StorageClassSpec } from './types';

/**
 * The pool a class provisions into: its `pool`, else — for classes written before that field, with
 * Berth's own plugins, whose pools are selected by a `pool` CSI parameter — `parameters.pool`; else
 * none named (the plugin's first pool).
 */
export function classPool(storageClass: Pick<StorageClassSpec, 'pool' | 'parameters'>): string | undefined {
  return storageClass.pool ?? storageClass.parameters.pool;
}

export function matchingPools(storageClass: Pick<StorageClassSpec, 'parameters'>, plugin: Pick<PluginSpec, 'pools'>): string[] {
  return plugin.pools.filter((p) => Object.entries(p.parameters).every(([key, value]) => storageClass.parameters[key] === value)).map((p) => p.pool);
}
