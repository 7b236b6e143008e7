/**
 * A storage pool is named by its plugin and the pool name the plugin reports: "ssd" of
 * berth.local and "ssd" of a vendor driver are different pools. One string key makes per-pool
 * maps cheap in the ledger's hot path.
 */
export type PoolKey = string;

/** The key of pool `pool` of plugin `plugin`, e.g. "berth.local/ssd". */
export function poolKey(plugin: string, pool: string): PoolKey {
  return `${plugin}/${pool}`;
}
