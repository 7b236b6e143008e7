/**
 * Static storage feasibility — the part of the plugin and pool checks that depends only on a
 * node's storage shape, not on its free space — computed once per (task, node signature) and
 * reused for every node built alike (Nomad caches such checks per computed node class). Free
 * space is never cached: it changes with every placement.
 */
import type { ClaimRequest } from '../domain';
import type { NodeView, PoolView } from './node-view';
import { RejectionReason } from './reasons';
import type { StaticStorageVerdict, TaskEvaluation } from './task-evaluation';

export function staticStorageVerdict(task: TaskEvaluation, node: NodeView): StaticStorageVerdict {
  let verdict = task.staticStorage[node.storageShape];
  if (!verdict) {
    verdict = computeVerdict(task, node);
    task.staticStorage[node.storageShape] = verdict;
  }
  return verdict;
}

function computeVerdict(task: TaskEvaluation, node: NodeView): StaticStorageVerdict {
  for (const { plugin } of task.attachments) {
    const p = node.pluginByName.get(plugin);
    if (!p)
      return {
        pluginProblem: { reason: RejectionReason.PluginMissing, message: `plugin ${plugin} is not installed on this node` },
        eligible: [],
        eligibleKeys: [],
      };
    if (!p.healthy)
      return {
        pluginProblem: { reason: RejectionReason.PluginUnhealthy, message: `plugin ${plugin} is unhealthy on this node` },
        eligible: [],
        eligibleKeys: [],
      };
  }
  const eligible = task.unboundClaims.map((claim) => {
    const indexes: number[] = [];
    node.pools.forEach((view, i) => {
      if (view.pool.plugin === claim.plugin && view.pool.healthy && poolMatches(view, claim)) indexes.push(i);
    });
    return indexes;
  });
  return { eligible, eligibleKeys: eligible.map((indexes) => indexes.map((i) => node.pools[i]!.key)) };
}

/** The claim's pool name and selector (if any) both match the pool. Health is checked separately. */
export function poolMatches(view: PoolView, claim: ClaimRequest): boolean {
  if (claim.pool !== undefined && view.pool.pool !== claim.pool) return false;
  if (claim.poolSelector) {
    const labels = view.pool.labels ?? {};
    for (const [k, v] of Object.entries(claim.poolSelector)) if (labels[k] !== v) return false;
  }
  return true;
}
