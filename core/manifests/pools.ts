/**
 * Which of a plugin's pools a storage class provisions into. A pool matches when every one of its
 * GetCapacity parameters appears with the same value in the class parameters — the same parameters
 * then go to CreateVolume, so the capacity the scheduler counted is the capacity the plugin uses.
 */
import type { PluginSpec, StorageClassSpec } from './types';

export function matchingPools(storageClass: Pick<StorageClassSpec, 'parameters'>, plugin: Pick<PluginSpec, 'pools'>): string[] {
  return plugin.pools.filter((p) => Object.entries(p.parameters).every(([key, value]) => storageClass.parameters[key] === value)).map((p) => p.pool);
}
