import type { SyncRequest } from '../proto/berth/generated/berth/agent/v1/SyncRequest';
import type { TaskAssignment__Output } from '../proto/berth/generated/berth/agent/v1/TaskAssignment';

type Reports = NonNullable<SyncRequest['tasks']>;

/**
 * The part of the task reports that must reach the server at once (it cuts a waiting long poll short):
 * all but the `preparing` ones, which the server only shows. Those go with the next round, whenever it
 * comes, instead of adding two round trips to the busiest moment of a start.
 */
export function urgentPart(reports: SyncRequest['tasks']): string {
  return JSON.stringify((reports ?? []).filter((r) => r.state !== 'preparing'));
}

/**
 * The last reconcile's reports, plus every task of the given desired states (the newest one received,
 * the one being reconciled) that they do not name yet, as preparing. The reports come from a finished
 * reconcile, so without this a task being started right now — its volumes being created and attached —
 * would be missing, and a task missing from its node's report is one the server may consider stopped
 * and reclaim the volumes of.
 */
export function withPendingTasks(reports: SyncRequest['tasks'], ...desired: readonly TaskAssignment__Output[][]): Reports {
  const out: Reports = [...(reports ?? [])];
  const named = new Set(out.map((r) => r.taskId));
  for (const a of desired.flat()) {
    if (named.has(a.taskId)) continue;
    named.add(a.taskId);
    out.push({ taskId: a.taskId, generation: a.generation, state: 'preparing' });
  }
  return out;
}
