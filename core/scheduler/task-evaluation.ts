/**
 * Everything about one task that every node check would otherwise recompute: claims split into
 * bound and unbound, plugins needed, the node its data pins it to, its current reservation, and
 * (filled by the storage filter, node by node) the pools chosen for its claims.
 */
import type { NodeView } from './node-view';
import type { RejectionReason } from './reasons';
import type { ClaimRequest, DynamicPortRequest, HostPort, PluginCount, PoolAmount, PoolKey, Reservation, ResourceAmounts, TaskRequest } from '../domain';

/** Static storage feasibility of one node shape for this task. */
export interface StaticStorageVerdict {
  /** Set when a needed plugin is missing or unhealthy (the rest is then not computed). */
  readonly pluginProblem?: { readonly reason: RejectionReason; readonly message: string };
  /** Per unbound claim: indexes into `NodeView.pools` of the healthy pools that match it. */
  readonly eligible: readonly (readonly number[])[];
  /** The keys of those pools (equal on every node of the shape), so checks need not read the node's pools. */
  readonly eligibleKeys: readonly (readonly PoolKey[])[];
}

/** A claim whose data exists on one node only: its bound volume, or the source it is to be made from. */
export interface VolumePin {
  readonly claim: ClaimRequest;
  readonly nodeId: string;
  /** What lives there, for messages: "volume v-1", "data source (snapshot snap-1)". */
  readonly what: string;
}

export class TaskEvaluation {
  /** Claims still needing space, largest first (first-fit-decreasing packs pools better). */
  readonly unboundClaims: readonly ClaimRequest[];
  /** Volumes per plugin the task will attach on its node: every claim, bound or not. */
  readonly attachments: readonly PluginCount[];
  /**
   * Results of the checks that depend only on a node's storage *shape* (plugins, pools, health,
   * pool labels), indexed by `NodeView.storageShape` — Nomad's computed-class feasibility cache.
   * Nodes built alike share one entry, so the per-node plugin and pool maps are not read at all.
   */
  readonly staticStorage: (StaticStorageVerdict | undefined)[] = [];
  readonly pins: readonly VolumePin[];
  /** Host ports the task fixes, and the names of those the ledger is to pick. */
  readonly fixedPorts: readonly HostPort[];
  readonly dynamicPortNames: readonly string[];
  /**
   * Scratch for the node being evaluated right now, one entry per unbound claim (same order as
   * `unboundClaims`): the pool the storage-fit filter chose (index into `NodeView.pools`), its key,
   * and its free bytes before the claim. Overwritten for every node, so visiting a node allocates
   * nothing; a node that passes all filters keeps a copy of `plan` in its candidate, and the
   * scorers read the scratch for that node.
   */
  readonly plan: number[] = [];
  readonly planKeys: PoolKey[] = [];
  readonly planFree: number[] = [];

  constructor(
    readonly task: TaskRequest,
    /** The task's reservation before this decision (a restart, a resize), if any. */
    readonly held: Reservation | undefined,
  ) {
    this.unboundClaims = task.claims.filter((c) => !c.bound).sort((a, b) => b.sizeBytes - a.sizeBytes);
    const perPlugin = new Map<string, number>();
    for (const c of task.claims) perPlugin.set(c.plugin, (perPlugin.get(c.plugin) ?? 0) + 1);
    this.attachments = [...perPlugin].map(([plugin, count]) => ({ plugin, count }));
    this.pins = task.claims.flatMap((c): VolumePin[] => {
      if (c.bound) return c.bound.nodeId !== undefined ? [{ claim: c, nodeId: c.bound.nodeId, what: `volume ${c.bound.volumeId}` }] : [];
      return c.source ? [{ claim: c, nodeId: c.source.nodeId, what: `data source (${c.source.kind} ${c.source.id})` }] : [];
    });
    const ports = task.ports ?? [];
    this.fixedPorts = ports.flatMap((p) => (p.hostPort !== undefined ? [{ name: p.name, port: p.hostPort }] : []));
    this.dynamicPortNames = ports.filter((p) => p.hostPort === undefined).map((p) => p.name);
  }

  /** The ports for the ledger to pick on `nodeId`, each preferring the one the task had there. */
  dynamicPortsOn(nodeId: string): DynamicPortRequest[] {
    const previous = this.task.previousPorts?.nodeId === nodeId ? this.task.previousPorts.ports : [];
    return this.dynamicPortNames.map((name) => {
      const preferred = previous.find((p) => p.name === name)?.port;
      return preferred !== undefined ? { name, preferred } : { name };
    });
  }

  /** The held reservation's amounts if it is on `nodeId`: reserving there again may reuse them. */
  creditOn(nodeId: string): ResourceAmounts | undefined {
    return this.held && this.held.nodeId === nodeId ? this.held.amounts : undefined;
  }

  /** What to ask the ledger for on `node`, given the pool plan it passed the filters with. */
  amountsFor(node: NodeView, plan: readonly number[]): ResourceAmounts {
    const pools: PoolAmount[] = [];
    for (let i = 0; i < plan.length; i++) {
      const claim = this.unboundClaims[i]!;
      const { pool } = node.pools[plan[i]!]!;
      pools.push({ plugin: pool.plugin, pool: pool.pool, bytes: claim.sizeBytes, claimId: claim.claimId });
    }
    const amounts = { cpuMillis: this.task.cpuMillis, memoryBytes: this.task.memoryBytes, pools, attachments: this.attachments };
    return this.fixedPorts.length > 0 ? { ...amounts, hostPorts: this.fixedPorts } : amounts;
  }
}
