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
export class NodeLiveness {
  private readonly lastSync = new Map<string, number>();
  private readonly livePlugins = new Map<string, PluginReport__Output[]>();
  private readonly startedAtMs = Date.now();
  /** The capacity last given to the ledger for each node: registering the same again is skipped. */
  private readonly registered = new Map<string, string>();

  heard(node: NodeRecord): void {
    this.lastSync.set(node.id, node.lastSyncMs);
    this.livePlugins.set(node.id, node.plugins);
  }

  lastSyncMs(node: NodeRecord): number {
    return this.lastSync.get(node.id) ?? Math.max(node.lastSyncMs, this.startedAtMs);
  }

  /** The node with its latest pool figures (the stored record may hold older ones). */
  live(node: NodeRecord): NodeRecord {
    const plugins = this.livePlugins.get(node.id);
    const lastSyncMs = this.lastSync.get(node.id);
    return plugins && lastSyncMs !== undefined ? { ...node, plugins, lastSyncMs, reportedAtMs: lastSyncMs } : node;
  }

  /** Whether `capacity` differs from what the ledger was last given for the node (and remembers it). */
  capacityChanged(nodeId: string, capacity: NodeCapacity): boolean {
    const key = JSON.stringify([capacity.cpuMillis, capacity.memoryBytes, [...capacity.poolBytes], [...capacity.attachSlots]]);
    if (this.registered.get(nodeId) === key) return false;
    this.registered.set(nodeId, key);
    return true;
  }

  forget(nodeId: string): void {
    this.lastSync.delete(nodeId);
    this.livePlugins.delete(nodeId);
    this.registered.delete(nodeId);
  }
}

/** The node as it is worth a durable write: without the figures every Sync changes. */
export function materialOf(node: NodeRecord): unknown {
  const { lastSyncMs: _sync, reportedAtMs: _reported, plugins, ...rest } = node;
  return { ...rest, plugins: plugins.map((p) => ({ ...p, pools: p.pools.map(({ availableBytes: _free, reportedAtMs: _at, ...pool }) => pool) })) };
}
