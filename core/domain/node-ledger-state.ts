/**
 * One node's capacity and usage as the ledger knows them, with its free space precomputed.
 *
 * Why a flat array and a shared layout: the scheduler reads free CPU, memory, pool bytes and
 * attach slots for every node a decision visits (about twenty per decision, thousands of decisions
 * per second), and that work is bound by memory reads, not arithmetic. A Map lookup per resource
 * touched several scattered objects per node, which made storage-aware placement three times
 * slower than placement without volumes. Here a node's numbers sit in one array of doubles, and
 * where each resource sits is described by a layout object shared by every node built alike (so
 * it stays in the CPU cache) and scanned with pointer comparisons (pool keys are canonical).
 */
import type { NodeCapacity, NodeUsage } from './capacity';
import type { PoolKey } from './pool-key';

/** Where each resource sits in `NodeLedgerState.free`. One object per distinct set of pools and limited plugins. */
export interface FreeLayout {
  /** Pools in capacity order, then any pool with usage but no capacity (its free space is negative). */
  readonly poolKeys: readonly PoolKey[];
  /** Plugins with an attach limit, in capacity order. */
  readonly attachPlugins: readonly string[];
}

/** Capacity and current usage of one node as the ledger knows them. Immutable: replaced, never mutated. */
export interface NodeLedgerState {
  readonly nodeId: string;
  readonly capacity: NodeCapacity;
  readonly used: NodeUsage;
  readonly freeCpuMillis: number;
  readonly freeMemoryBytes: number;
  readonly layout: FreeLayout;
  /**
   * [free bytes per layout pool…, free slots per layout plugin…, capacity per layout pool…]: a plain
   * array of doubles (cheaper to make than a typed array, and unboxed all the same).
   */
  readonly free: readonly number[];
}

/** Layout per capacity object: every state of a node shares its capacity, hence its layout. */
const layoutOfCapacity = new WeakMap<NodeCapacity, FreeLayout>();
/** Layout per signature, so nodes built alike share one. Bounded like the canonical pool keys. */
const sharedLayouts = new Map<string, FreeLayout>();
const MAX_SHARED_LAYOUTS = 10_000;

/** Builds a node state with its free space. The only way states should be made. */
export function nodeLedgerState(nodeId: string, capacity: NodeCapacity, used: NodeUsage): NodeLedgerState {
  const layout = layoutFor(capacity, used);
  const free: number[] = [];
  for (const key of layout.poolKeys) free.push((capacity.poolBytes.get(key) ?? 0) - (used.poolBytes.get(key) ?? 0));
  for (const plugin of layout.attachPlugins) free.push(capacity.attachSlots.get(plugin)! - (used.attachSlots.get(plugin) ?? 0));
  for (const key of layout.poolKeys) free.push(capacity.poolBytes.get(key) ?? 0);
  return {
    nodeId,
    capacity,
    used,
    freeCpuMillis: capacity.cpuMillis - used.cpuMillis,
    freeMemoryBytes: capacity.memoryBytes - used.memoryBytes,
    layout,
    free,
  };
}

/** Index of `key` in the layout's pools, or -1. */
export function poolSlot(layout: FreeLayout, key: PoolKey): number {
  const keys = layout.poolKeys;
  for (let i = 0; i < keys.length; i++) if (keys[i] === key) return i;
  return -1;
}

/** Free bytes of a pool; 0 for a pool the node does not have. */
export function freePoolBytes(state: NodeLedgerState, key: PoolKey): number {
  const slot = poolSlot(state.layout, key);
  return slot < 0 ? 0 : state.free[slot]!;
}

/** Capacity of a pool; 0 for a pool the node does not have. */
export function poolTotalBytes(state: NodeLedgerState, key: PoolKey): number {
  const { layout } = state;
  const slot = poolSlot(layout, key);
  return slot < 0 ? 0 : state.free[layout.poolKeys.length + layout.attachPlugins.length + slot]!;
}

/** Free attach slots of a plugin; Infinity when the plugin has no attach limit on the node. */
export function freeAttachSlots(state: NodeLedgerState, plugin: string): number {
  const plugins = state.layout.attachPlugins;
  for (let j = 0; j < plugins.length; j++) if (plugins[j] === plugin) return state.free[state.layout.poolKeys.length + j]!;
  return Infinity;
}

function layoutFor(capacity: NodeCapacity, used: NodeUsage): FreeLayout {
  let layout = layoutOfCapacity.get(capacity);
  if (!layout) {
    layout = sharedLayout([...capacity.poolBytes.keys()], [...capacity.attachSlots.keys()]);
    layoutOfCapacity.set(capacity, layout);
  }
  // Usage in a pool the capacity lacks (the node stopped reporting it): a layout that lists it too.
  let orphans: PoolKey[] | undefined;
  for (const key of used.poolBytes.keys())
    if (!capacity.poolBytes.has(key)) {
      orphans ??= [];
      orphans.push(key);
    }
  return orphans ? sharedLayout([...layout.poolKeys, ...orphans], layout.attachPlugins) : layout;
}

function sharedLayout(poolKeys: readonly PoolKey[], attachPlugins: readonly string[]): FreeLayout {
  const signature = JSON.stringify([poolKeys, attachPlugins]); // unambiguous whatever the names contain
  const known = sharedLayouts.get(signature);
  if (known) return known;
  const layout = { poolKeys, attachPlugins };
  if (sharedLayouts.size < MAX_SHARED_LAYOUTS) sharedLayouts.set(signature, layout);
  return layout;
}
