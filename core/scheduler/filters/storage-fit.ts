/**
 * Storage fit for ALL unbound claims of the task together. Each claim goes to a healthy pool of
 * its plugin that matches its pool name or selector; claims landing in the same pool add up, so
 * two 100Mi claims never "fit" a pool with 150Mi free. Assignment is first-fit-decreasing with
 * the emptiest eligible pool first (a greedy heuristic: it may miss a packing that an exhaustive
 * search would find, but never reports a fit that does not exist, since the ledger re-checks sums).
 *
 * Never cached across decisions (as Nomad never caches volume feasibility): free space changes
 * with every placement. The chosen pools go to the task evaluation's plan scratch, from which the
 * candidate keeps them for the reservation.
 */
import { formatBytes, poolKey, type ClaimRequest, type PoolKey, type ResourceAmounts } from '../../domain';
import type { PassState } from '../pass-state';
import { poolMatches, staticStorageVerdict } from '../static-storage';
import type { NodeView, PoolView } from '../node-view';
import { RejectionReason } from '../reasons';
import type { TaskEvaluation } from '../task-evaluation';
import type { Filter, Rejection } from '../types';
import { unschedulable } from './reject';

export const storageFitFilter: Filter = {
  name: 'storage-fit',
  check(task, node, pass) {
    const claims = task.unboundClaims;
    if (claims.length === 0) return null;
    const credit = task.creditOn(node.id);
    // Which pools each claim may use depends only on the node's storage shape: cached per shape.
    const verdict = staticStorageVerdict(task, node);
    // The plan scratch is written by claim index; entries before `c` are this node's earlier claims.
    const { plan, planKeys, planFree } = task;
    for (let c = 0; c < claims.length; c++) {
      const claim = claims[c]!;
      const eligible = verdict.eligible[c]!;
      const keys = verdict.eligibleKeys[c]!;
      if (eligible.length === 0) return noPool(node, claim);
      let best = -1;
      let bestFree = -1;
      for (let e = 0; e < eligible.length; e++) {
        const free = freeLeft(task, c, pass, node.id, keys[e]!, credit);
        if (free >= claim.sizeBytes && free > bestFree) {
          best = e;
          bestFree = free;
        }
      }
      if (best < 0)
        return noRoom(
          task,
          node,
          claim,
          eligible.map((e) => node.pools[e]!),
          pass,
          credit,
        );
      plan[c] = eligible[best]!;
      planKeys[c] = keys[best]!;
      planFree[c] = bestFree;
    }
    return null;
  },
};

/** Free space of a pool before this task (what messages report), counting the task's own reservation there. */
function poolFree(pass: PassState, nodeId: string, key: PoolKey, credit: ResourceAmounts | undefined): number {
  let free = pass.freePool(nodeId, key);
  if (credit) for (const p of credit.pools) if (poolKey(p.plugin, p.pool) === key) free += p.bytes;
  return free;
}

/** Free space left for claim `c`, after the claims before it that this node's plan put in the same pool. */
function freeLeft(task: TaskEvaluation, c: number, pass: PassState, nodeId: string, key: PoolKey, credit: ResourceAmounts | undefined): number {
  for (let j = c - 1; j >= 0; j--) {
    if (task.planKeys[j] === key) return task.planFree[j]! - task.unboundClaims[j]!.sizeBytes;
  }
  return poolFree(pass, nodeId, key, credit);
}

/** Pools of the claim's plugin on this node that are healthy and match its pool name or selector. */
export function eligiblePools(node: NodeView, claim: ClaimRequest): readonly PoolView[] {
  return node.pools.filter((p) => p.pool.plugin === claim.plugin && p.pool.healthy && poolMatches(p, claim));
}

function describeTarget(claim: ClaimRequest): string {
  if (claim.pool !== undefined) return `pool ${claim.pool} of ${claim.plugin}`;
  if (claim.poolSelector)
    return `pool of ${claim.plugin} matching {${Object.entries(claim.poolSelector)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}}`;
  return `pool of ${claim.plugin}`;
}

function noPool(node: NodeView, claim: ClaimRequest): Rejection {
  const all = node.pools.filter((p) => p.pool.plugin === claim.plugin && poolMatches(p, claim));
  const message =
    all.length > 0 ? `${describeTarget(claim)} is unhealthy (claim ${claim.claimId})` : `node has no ${describeTarget(claim)} (claim ${claim.claimId})`;
  return unschedulable(node.id, RejectionReason.StorageFit, message);
}

/**
 * "pool ssd has 150Mi free, claims need 2×100Mi": the free space of the pools the failing claim
 * could use, next to every unbound claim competing for those same pools.
 */
function noRoom(
  task: TaskEvaluation,
  node: NodeView,
  claim: ClaimRequest,
  eligible: readonly PoolView[],
  pass: PassState,
  credit: ResourceAmounts | undefined,
): Rejection {
  const keys = new Set(eligible.map((p) => p.key));
  const competing = task.unboundClaims.filter((c) => eligiblePools(node, c).some((p) => keys.has(p.key)));
  const need = describeSizes(competing.map((c) => c.sizeBytes));
  const free = eligible.map((p) => `pool ${p.pool.pool} has ${formatBytes(Math.max(poolFree(pass, node.id, p.key, credit), 0))} free`).join(', ');
  const message = eligible.length === 1 ? `${free}, claims need ${need}` : `${free}; claims need ${need} (claim ${claim.claimId} does not fit)`;
  return unschedulable(node.id, RejectionReason.StorageFit, message);
}

/** [100Mi, 100Mi, 30Mi] → "2×100Mi + 30Mi"; a single size prints plainly. */
export function describeSizes(sizes: readonly number[]): string {
  const counts = new Map<number, number>();
  for (const s of sizes) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[0] - a[0])
    .map(([size, n]) => (n === 1 ? formatBytes(size) : `${n}×${formatBytes(size)}`))
    .join(' + ');
}
