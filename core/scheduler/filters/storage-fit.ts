/**
 * Storage fit for ALL unbound claims of the task together. Each claim goes to a healthy pool of
 * its plugin that matches its pool name or selector; claims landing in the same pool add up, so
 * two 100Mi claims never "fit" a pool with 150Mi free. Assignment is first-fit-decreasing with
 * the emptiest eligible pool first (a greedy heuristic: it may miss a packing that an exhaustive
 * search would find, but never reports a fit that does not exist, since the ledger re-checks sums).
 *
 * Never cached across decisions (as Nomad never caches volume feasibility): free space changes
 * with every placement. The chosen pools are stored on the task evaluation for the reservation.
 */
import { formatBytes, poolKey, type ClaimRequest, type PoolKey, type ResourceAmounts } from '../../domain';
import type { PassState } from '../pass-state';
import { poolMatches, staticStorageVerdict } from '../static-storage';
import type { NodeView, PoolView } from '../node-view';
import { RejectionReason } from '../reasons';
import type { TaskEvaluation } from '../task-evaluation';
import type { Filter, Rejection } from '../types';
import { unschedulable } from './reject';

// Scratch space for the pools touched while planning one node. `check` is synchronous and not
// re-entrant, and it runs for every visited node: reusing these avoids garbage per node.
const touchedKeys: PoolKey[] = [];
const touchedFree: number[] = [];

export const storageFitFilter: Filter = {
  name: 'storage-fit',
  check(task, node, pass) {
    const claims = task.unboundClaims;
    if (claims.length === 0) return null;
    const credit = task.creditOn(node.id);
    touchedKeys.length = 0;
    touchedFree.length = 0;
    // Which pools each claim may use depends only on the node's storage shape: cached per signature.
    const verdict = staticStorageVerdict(task, node);
    const plan: PoolView[] = [];
    for (let c = 0; c < claims.length; c++) {
      const claim = claims[c]!;
      let best: PoolView | undefined;
      let bestFree = -1;
      const eligible = verdict.eligible[c]!;
      if (eligible.length === 0) return noPool(node, claim);
      for (let e = 0; e < eligible.length; e++) {
        const candidate = node.pools[eligible[e]!]!;
        const free = freeLeft(pass, node.id, candidate.key, credit);
        if (free >= claim.sizeBytes && free > bestFree) {
          best = candidate;
          bestFree = free;
        }
      }
      if (!best) return noRoom(task, node, claim, eligible.map((e) => node.pools[e]!), pass, credit);
      const i = touchedKeys.indexOf(best.key);
      if (i >= 0) touchedFree[i] = bestFree - claim.sizeBytes;
      else {
        touchedKeys.push(best.key);
        touchedFree.push(bestFree - claim.sizeBytes);
      }
      plan.push(best);
    }
    task.poolPlans.set(node.id, plan);
    return null;
  },
};

/** Free space of a pool before this task (what messages report), counting the task's own reservation there. */
function poolFree(pass: PassState, nodeId: string, key: PoolKey, credit: ResourceAmounts | undefined): number {
  let free = pass.freePool(nodeId, key);
  if (credit) for (const p of credit.pools) if (poolKey(p.plugin, p.pool) === key) free += p.bytes;
  return free;
}

/** Free space left for the next claim, after the claims already planned into the pool on this node. */
function freeLeft(pass: PassState, nodeId: string, key: PoolKey, credit: ResourceAmounts | undefined): number {
  const i = touchedKeys.indexOf(key);
  return i >= 0 ? touchedFree[i]! : poolFree(pass, nodeId, key, credit);
}

/** Pools of the claim's plugin on this node that are healthy and match its pool name or selector. */
export function eligiblePools(node: NodeView, claim: ClaimRequest): readonly PoolView[] {
  return node.pools.filter((p) => p.pool.plugin === claim.plugin && p.pool.healthy && poolMatches(p, claim));
}

function describeTarget(claim: ClaimRequest): string {
  if (claim.pool !== undefined) return `pool ${claim.pool} of ${claim.plugin}`;
  if (claim.poolSelector) return `pool of ${claim.plugin} matching {${Object.entries(claim.poolSelector).map(([k, v]) => `${k}=${v}`).join(', ')}}`;
  return `pool of ${claim.plugin}`;
}

function noPool(node: NodeView, claim: ClaimRequest): Rejection {
  const all = node.pools.filter((p) => p.pool.plugin === claim.plugin && poolMatches(p, claim));
  const message =
    all.length > 0
      ? `${describeTarget(claim)} is unhealthy (claim ${claim.claimId})`
      : `node has no ${describeTarget(claim)} (claim ${claim.claimId})`;
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
