/** Builds the user-facing result of an unschedulable decision: one headline reason and one line. */
import { RejectionReason, StatusCode } from './reasons';
import type { TaskEvaluation } from './task-evaluation';
import type { Rejection, Unschedulable } from './types';

/** When reasons are equally common, the more fundamental one (earlier in the pipeline) explains best. */
const REASON_PRIORITY: readonly RejectionReason[] = [
  RejectionReason.NoNodes,
  RejectionReason.VolumeLocality,
  RejectionReason.NodeNotReady,
  RejectionReason.NodeNotRegistered,
  RejectionReason.Constraint,
  RejectionReason.PluginMissing,
  RejectionReason.PluginUnhealthy,
  RejectionReason.AttachLimit,
  RejectionReason.InsufficientCpu,
  RejectionReason.InsufficientMemory,
  RejectionReason.HostPort,
  RejectionReason.HostPortsExhausted,
  RejectionReason.StorageFit,
  RejectionReason.ReservationConflict,
];

export function unschedulableResult(task: TaskEvaluation, rejections: readonly Rejection[], nodeCount: number): Unschedulable {
  const taskId = task.task.taskId;
  const sorted = [...rejections].sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  if (nodeCount === 0) {
    return { kind: 'unschedulable', taskId, reason: RejectionReason.NoNodes, summary: `no nodes in the cluster can run ${taskId}`, rejections: [] };
  }
  const counts = new Map<RejectionReason, number>();
  for (const r of sorted) counts.set(r.reason, (counts.get(r.reason) ?? 0) + 1);
  const tally = [...counts]
    .sort((a, b) => b[1] - a[1] || REASON_PRIORITY.indexOf(a[0]) - REASON_PRIORITY.indexOf(b[0]))
    .map(([reason, n]) => `${n}× ${reason}`)
    .join(', ');
  const head = `0/${nodeCount} nodes can run ${taskId}: ${tally}`;

  // A task pinned by its data is pending *because of* where its data is, whatever the other nodes say.
  const pin = task.pins[0];
  if (pin) {
    const atDataNode = sorted.find((r) => r.nodeId === pin.nodeId);
    const detail = atDataNode
      ? `${pin.what} of claim ${pin.claim.claimId} lives only on node ${pin.nodeId}, which cannot run it: ${atDataNode.reason} (${atDataNode.message})`
      : `${pin.what} of claim ${pin.claim.claimId} lives only on node ${pin.nodeId}, which is not in the cluster`;
    return { kind: 'unschedulable', taskId, reason: RejectionReason.VolumeLocality, summary: `${head} — ${detail}`, rejections: sorted };
  }
  const top = [...counts].sort((a, b) => b[1] - a[1] || REASON_PRIORITY.indexOf(a[0]) - REASON_PRIORITY.indexOf(b[0]))[0]![0];
  return { kind: 'unschedulable', taskId, reason: top, summary: head, rejections: sorted };
}

/** Every feasible node was taken by concurrent placements faster than this task could reserve. */
export function conflictResult(task: TaskEvaluation, attempts: number, lost: readonly string[]): Unschedulable {
  const taskId = task.task.taskId;
  return {
    kind: 'unschedulable',
    taskId,
    reason: RejectionReason.ReservationConflict,
    summary: `${taskId}: ${attempts} reservations refused by the ledger (nodes filled concurrently); will retry`,
    rejections: lost.map((nodeId) => ({
      nodeId,
      reason: RejectionReason.ReservationConflict,
      code: StatusCode.Unschedulable,
      message: 'looked feasible, but the ledger refused the reservation: capacity was taken concurrently',
    })),
  };
}
