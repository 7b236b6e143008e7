/**
 * What one scheduling pass believes about the cluster: the ledger snapshot taken at the start,
 * overlaid with the placements this pass has made since (Nomad's ProposedAllocs). Without the
 * overlay, the second task of a pass would see the space the first one just took as still free.
 *
 * The view may be stale with respect to *other* passes; that is fine, because the ledger re-checks
 * every reservation inside its own transaction. When it refuses one, `refreshNode` replaces that
 * node's state with the ledger's current truth.
 */
import type { LedgerSnapshot, NodeInfo, NodeLedgerState, PoolKey, ResourceAmounts } from '../domain';
import { freeAttachSlots, freePoolBytes, poolKey, poolTotalBytes } from '../domain';
import type { HostPort, PortRange } from '../domain';
import { nodeView, type NodeView } from './node-view';
import { shuffled, type Random } from './random';

/** The cluster's nodes in a shuffled visiting order; computed once per node list, shared by passes. */
export interface NodeOrder {
  readonly order: readonly NodeView[];
  readonly byId: ReadonlyMap<string, NodeView>;
}

/** Shuffled so that concurrent schedulers and consecutive tasks do not all look at the same nodes first. */
export function nodeOrder(nodes: readonly NodeInfo[], random: Random): NodeOrder {
  const order = shuffled(nodes.map(nodeView), random);
  return { order, byId: new Map(order.map((v) => [v.id, v] as const)) };
}

interface ProposedUsage {
  cpuMillis: number;
  memoryBytes: number;
  readonly poolBytes: Map<PoolKey, number>;
  readonly attachSlots: Map<string, number>;
  /** Host port → holders this pass added (negative: released). */
  readonly hostPorts: Map<number, number>;
}

export class PassState {
  readonly order: readonly NodeView[];
  readonly byId: ReadonlyMap<string, NodeView>;
  private base: ReadonlyMap<string, NodeLedgerState>;
  /** Nodes re-read from the ledger after a refusal (null: the ledger no longer knows the node). */
  private readonly refreshed = new Map<string, NodeLedgerState | null>();
  private readonly proposed = new Map<string, ProposedUsage>();
  /** Set once the ledger refused a reservation: the snapshot is known to be behind. */
  sawConflict = false;

  // Filters and scorers ask about the same node many times in a row: remember the last one.
  private cachedId: string | undefined;
  private cachedState: NodeLedgerState | undefined;
  private cachedProposed: ProposedUsage | undefined;

  constructor(nodes: NodeOrder, snapshot: LedgerSnapshot) {
    this.order = nodes.order;
    this.byId = nodes.byId;
    this.base = snapshot.nodes;
  }

  ledgerState(nodeId: string): NodeLedgerState | undefined {
    this.load(nodeId);
    return this.cachedState;
  }

  /** Free CPU as this pass sees it. Callers only ask about nodes with a ledger state (node-ready filter). */
  freeCpu(nodeId: string): number {
    this.load(nodeId);
    return this.cachedState!.freeCpuMillis - (this.cachedProposed?.cpuMillis ?? 0);
  }

  freeMemory(nodeId: string): number {
    this.load(nodeId);
    return this.cachedState!.freeMemoryBytes - (this.cachedProposed?.memoryBytes ?? 0);
  }

  freePool(nodeId: string, key: PoolKey): number {
    this.load(nodeId);
    const proposed = this.cachedProposed?.poolBytes.get(key) ?? 0;
    return freePoolBytes(this.cachedState!, key) - proposed;
  }

  /** Bytes the ledger may hand out in the pool (0 when the node has no such pool). */
  poolTotal(nodeId: string, key: PoolKey): number {
    this.load(nodeId);
    return poolTotalBytes(this.cachedState!, key);
  }

  /** Infinity when the plugin has no attach limit on the node. */
  freeAttachSlots(nodeId: string, plugin: string): number {
    this.load(nodeId);
    // No limit stays Infinity after the subtraction.
    return freeAttachSlots(this.cachedState!, plugin) - (this.cachedProposed?.attachSlots.get(plugin) ?? 0);
  }

  /** Holders of a host port on the node as this pass sees it, not counting the task's own (`credit`). */
  hostPortHolders(nodeId: string, port: number, credit: readonly HostPort[] | undefined): number {
    this.load(nodeId);
    const used = (this.cachedState!.used.hostPorts?.get(port) ?? 0) + (this.cachedProposed?.hostPorts.get(port) ?? 0);
    return used - (credit?.some((c) => c.port === port) ? 1 : 0);
  }

  /** Free ports of `range` on the node as this pass sees it, counting the task's own (`credit`) as free. */
  freeRangePorts(nodeId: string, range: PortRange, credit: readonly HostPort[] | undefined): number {
    this.load(nodeId);
    const used = new Map(this.cachedState!.used.hostPorts);
    for (const [port, delta] of this.cachedProposed?.hostPorts ?? []) used.set(port, (used.get(port) ?? 0) + delta);
    for (const c of credit ?? []) used.set(c.port, (used.get(c.port) ?? 0) - 1);
    let taken = 0;
    for (const [port, holders] of used) if (holders > 0 && port >= range.first && port <= range.last) taken++;
    return range.last - range.first + 1 - taken;
  }

  /** Records a committed placement of this pass (sign 1) or a release of one (sign -1). */
  propose(nodeId: string, amounts: ResourceAmounts, sign: 1 | -1): void {
    let p = this.proposed.get(nodeId);
    if (!p) {
      p = { cpuMillis: 0, memoryBytes: 0, poolBytes: new Map(), attachSlots: new Map(), hostPorts: new Map() };
      this.proposed.set(nodeId, p);
    }
    p.cpuMillis += sign * amounts.cpuMillis;
    p.memoryBytes += sign * amounts.memoryBytes;
    for (const pool of amounts.pools) {
      const key = poolKey(pool.plugin, pool.pool);
      p.poolBytes.set(key, (p.poolBytes.get(key) ?? 0) + sign * pool.bytes);
    }
    for (const a of amounts.attachments) p.attachSlots.set(a.plugin, (p.attachSlots.get(a.plugin) ?? 0) + sign * a.count);
    for (const { port } of amounts.hostPorts ?? []) p.hostPorts.set(port, (p.hostPorts.get(port) ?? 0) + sign);
    this.cachedId = undefined;
  }

  /** Adopts the ledger's current state for one node; it already includes this pass's commits there. */
  refreshNode(state: NodeLedgerState): void {
    this.refreshed.set(state.nodeId, state);
    this.proposed.delete(state.nodeId);
    this.cachedId = undefined;
  }

  /** Adopts a whole new snapshot (taken after all of this pass's commits). */
  refreshAll(snapshot: LedgerSnapshot): void {
    this.base = snapshot.nodes;
    this.refreshed.clear();
    this.proposed.clear();
    this.sawConflict = false;
    this.cachedId = undefined;
  }

  /** The ledger no longer knows this node: treat it as unregistered for the rest of the pass. */
  forgetNode(nodeId: string): void {
    this.refreshed.set(nodeId, null);
    this.proposed.delete(nodeId);
    this.cachedId = undefined;
  }

  private load(nodeId: string): void {
    if (nodeId === this.cachedId) return;
    this.cachedId = nodeId;
    const refreshed = this.refreshed.size > 0 ? this.refreshed.get(nodeId) : undefined;
    this.cachedState = refreshed === undefined ? this.base.get(nodeId) : (refreshed ?? undefined);
    this.cachedProposed = this.proposed.get(nodeId);
  }
}
