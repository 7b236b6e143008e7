/**
 * Everything about one task that every node check would otherwise recompute: claims split into
 * bound and unbound, plugins needed, the node its data pins it to, its current reservation, and
 * (filled by the storage filter) the pool chosen for each claim on each feasible node.
 */
import { attachKey } from '../domain';
import type { PoolView } from './node-view';
import type { RejectionReason } from './reasons';
import type { ClaimRequest, PluginCount, PoolAmount, Reservation, ResourceAmounts, TaskRequest } from '../domain';

/** Static storage feasibility of one node shape for this task. */
export interface StaticStorageVerdict {
  /** Set when a needed plugin is missing or unhealthy (the rest is then not computed). */
  readonly pluginProblem?: { readonly reason: RejectionReason; readonly message: string };
  /** Per unbound claim: indexes into `NodeView.pools` of the healthy pools that match it. */
  readonly eligible: readonly (readonly number[])[];
}

export interface VolumePin {
  readonly claim: ClaimRequest;
  readonly nodeId: string;
  readonly volumeId: string;
}

export class TaskEvaluation {
  /** Claims still needing space, largest first (first-fit-decreasing packs pools better). */
  readonly unboundClaims: readonly ClaimRequest[];
  /** Volumes per plugin the task will attach on its node: every claim, bound or not. */
  readonly attachments: readonly PluginCount[];
  /** `attachKey(plugin)` for each entry of `attachments`. */
  readonly attachKeys: readonly string[];
  /**
   * Results of the checks that depend only on a node's storage *shape* (plugins, pools, health,
   * pool labels), per storage signature — Nomad's computed-class feasibility cache. Nodes built
   * alike share one entry, so the per-node plugin and pool maps are not read at all.
   */
  readonly staticStorage = new Map<string, StaticStorageVerdict>();
  readonly pins: readonly VolumePin[];
  /**
   * Pool chosen for each unbound claim (same order as `unboundClaims`), per feasible node. Written
   * by the storage-fit filter; turned into reservation amounts only for the node actually chosen.
   */
  readonly poolPlans = new Map<string, readonly PoolView[]>();

  constructor(
    readonly task: TaskRequest,
    /** The task's reservation before this decision (a restart, a resize), if any. */
    readonly held: Reservation | undefined,
  ) {
    this.unboundClaims = task.claims.filter((c) => !c.bound).sort((a, b) => b.sizeBytes - a.sizeBytes);
    const perPlugin = new Map<string, number>();
    for (const c of task.claims) perPlugin.set(c.plugin, (perPlugin.get(c.plugin) ?? 0) + 1);
    this.attachments = [...perPlugin].map(([plugin, count]) => ({ plugin, count }));
    this.attachKeys = this.attachments.map((a) => attachKey(a.plugin));
    this.pins = task.claims
      .filter((c) => c.bound?.nodeId !== undefined)
      .map((c) => ({ claim: c, nodeId: c.bound!.nodeId!, volumeId: c.bound!.volumeId }));
  }

  /** The held reservation's amounts if it is on `nodeId`: reserving there again may reuse them. */
  creditOn(nodeId: string): ResourceAmounts | undefined {
    return this.held && this.held.nodeId === nodeId ? this.held.amounts : undefined;
  }

  /** What to ask the ledger for on `nodeId`; only valid for nodes that passed the filters. */
  amountsOn(nodeId: string): ResourceAmounts {
    const plan = this.poolPlans.get(nodeId);
    const pools: PoolAmount[] = [];
    if (plan) {
      for (let i = 0; i < plan.length; i++) {
        const claim = this.unboundClaims[i]!;
        pools.push({ plugin: plan[i]!.pool.plugin, pool: plan[i]!.pool.pool, bytes: claim.sizeBytes, claimId: claim.claimId });
      }
    }
    return { cpuMillis: this.task.cpuMillis, memoryBytes: this.task.memoryBytes, pools, attachments: this.attachments };
  }
}
