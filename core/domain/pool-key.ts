/**
 * A storage pool is named by its plugin and the pool name the plugin reports: "ssd" of
 * berth.local and "ssd" of a vendor driver are different pools. One string key makes per-pool
 * maps cheap in the ledger's hot path.
 */
export type PoolKey = string;

/**
 * Every key handed out, so equal keys are one string object. The scheduler compares keys for
 * every node it visits; identical objects compare by pointer, built-up strings by content. The
 * table grows with the distinct pools the cluster has ever had (a few per node shape); the cap only
 * guards against a flood of bogus names, past it keys are still correct, just not shared.
 */
const canonical = new Map<string, PoolKey>();
const MAX_CANONICAL = 100_000;

/** The key of pool `pool` of plugin `plugin`, e.g. "berth.local/ssd". */
export function poolKey(plugin: string, pool: string): PoolKey {
  const key = `${plugin}/${pool}`;
  const known = canonical.get(key);
  if (known !== undefined) return known;
  if (canonical.size < MAX_CANONICAL) canonical.set(key, key);
  return key;
}
