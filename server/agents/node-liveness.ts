import type { PluginReport__Output } from '../../proto/berth/generated/berth/agent/v1/PluginReport';
import type { NodeCapacity } from '../../core/domain';
import type { NodeRecord } from '../store/records';

/**
 * What each agent's latest Sync said that changes with every Sync — when it was heard from, its pools'
 * free bytes and measurement times — kept in memory. Writing those to the store would make every
 * Sync of an idle cluster a durable write and a change for every watcher; the node record is written
 * when something else about the node changes. After a server restart every node counts as heard from
 * at the start (its agent has until `nodeDownAfterMs` to call again).
 */
/**
 * At most this many idle Syncs a second, whatever the cluster's size (Nomad caps heartbeats the same
 * way): a larger cluster's agents are held longer. A node is heard from while a Sync of its is open
 * and when one ends, so a longer hold does not make a lost node take longer to notice than the hold
 * itself plus the node-down time. Up to 100 nodes (at the default 15 s) nothing changes.
 */
const MAX_IDLE_SYNCS_PER_SECOND = 20;
const LONGEST_HOLD_MS = 60_000;

export class NodeLiveness {
  private readonly lastSync = new Map<string, number>();
  /** Syncs of each node being handled or held now (a cut-short long poll and the next can overlap). */
  private readonly openCalls = new Map<string, number>();
  /** When each node's last Sync ended: answered, or given up by its agent (whose connection closing says so too). */
  private readonly lastCallEnd = new Map<string, number>();
  private readonly livePlugins = new Map<string, PluginReport__Output[]>();
  private readonly startedAtMs = Date.now();
  /** The capacity last given to the ledger for each node: registering the same again is skipped. */
  private readonly registered = new Map<string, string>();

  heard(node: NodeRecord): void {
    this.lastSync.set(node.id, node.lastSyncMs);
    this.livePlugins.set(node.id, node.plugins);
  }

  /** A Sync of the node arrived; `callEnded` must follow. */
  callStarted(nodeId: string): void {
    this.openCalls.set(nodeId, (this.openCalls.get(nodeId) ?? 0) + 1);
  }

  callEnded(nodeId: string): void {
    const open = (this.openCalls.get(nodeId) ?? 1) - 1;
    if (open > 0) this.openCalls.set(nodeId, open);
    else this.openCalls.delete(nodeId);
    this.lastCallEnd.set(nodeId, Date.now());
  }

  /** When the node was last heard from: now while a Sync of its is open. */
  lastSyncMs(node: NodeRecord): number {
    if (this.openCalls.has(node.id)) return Date.now();
    const heard = this.lastSync.get(node.id) ?? Math.max(node.lastSyncMs, this.startedAtMs);
    return Math.max(heard, this.lastCallEnd.get(node.id) ?? 0);
  }

  /** The node with its latest pool figures (the stored record may hold older ones). */
  live(node: NodeRecord): NodeRecord {
    const plugins = this.livePlugins.get(node.id);
    const lastSyncMs = this.lastSync.get(node.id);
    return plugins && lastSyncMs !== undefined ? { ...node, plugins, lastSyncMs, reportedAtMs: lastSyncMs } : node;
  }

  /** How long an unchanged Sync is held: a third of the node-down time, longer in a large cluster. */
  holdMs(nodeDownAfterMs: number, nodes: number): number {
    return Math.round(Math.min(LONGEST_HOLD_MS, Math.max(nodeDownAfterMs / 3, (nodes / MAX_IDLE_SYNCS_PER_SECOND) * 1000)));
  }

  /**
   * How long a node may be silent — no Sync open, none ended — before it is down: the configured time at
   * any size, since a held Sync counts as hearing from it. An agent that is gone is noticed when its
   * connection closes (its Sync ends), a host that vanished when its held Sync ends: at most a hold later.
   */
  downAfterMs(nodeDownAfterMs: number, _nodes: number): number {
    return nodeDownAfterMs;
  }

  /** Whether `capacity` differs from what the ledger was last given for the node (and remembers it). */
  capacityChanged(nodeId: string, capacity: NodeCapacity): boolean {
    const key = JSON.stringify([capacity.cpuMillis, capacity.memoryBytes, [...capacity.poolBytes], [...capacity.attachSlots], capacity.hostPortRange]);
    if (this.registered.get(nodeId) === key) return false;
    this.registered.set(nodeId, key);
    return true;
  }
}

/** The node as it is worth a durable write, as JSON: without the figures every Sync changes. */
export function materialOf(node: NodeRecord): string {
  const cached = stored.get(node);
  if (cached !== undefined) return cached;
  const { lastSyncMs: _sync, reportedAtMs: _reported, plugins, ...rest } = node;
  // JSON, not a deep comparison: a stored record has been through JSON (no undefined fields), a fresh one has not.
  const material = JSON.stringify({
    ...rest,
    plugins: plugins.map((p) => ({ ...p, pools: p.pools.map(({ availableBytes: _free, reportedAtMs: _at, ...pool }) => pool) })),
  });
  if (Object.isFrozen(node)) stored.set(node, material);
  return material;
}

/** Stored node records are frozen and shared: their material is computed once. */
const stored = new WeakMap<NodeRecord, string>();
