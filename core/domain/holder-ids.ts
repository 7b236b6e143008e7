/**
 * Holder ids: the key of a reservation in the ledger (one reservation per holder). Built here and
 * nowhere else, so the ledger, the scheduler, the server's controllers and its recovery points agree
 * on which reservation belongs to whom. In core/domain because both the ledger and the scheduler (which
 * must not import each other) build them; core/reservations re-exports them.
 */

/** Holder id of a task's reservation: the task id itself (orphans are found by comparing them with live task ids). */
export function taskHolderId(taskId: string): string {
  return taskId;
}

/** Holder id of the static reservation for `role` on `nodeId`: one per node and role. */
export function staticHolderId(nodeId: string, role: string): string {
  return `static:${nodeId}:${role}`;
}
