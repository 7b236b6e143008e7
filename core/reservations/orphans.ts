/**
 * Orphan detection: a task reservation whose task no longer exists holds capacity nobody uses.
 * Static reservations belong to operators, not tasks, and are never orphans.
 */
import { taskHolderId, type Reservation } from '../domain';

/** Task reservations whose holder is not in `liveTaskIds`, in a stable order (node, then holder). */
export function findOrphans(reservations: Iterable<Reservation>, liveTaskIds: ReadonlySet<string>): Reservation[] {
  const liveHolders = new Set([...liveTaskIds].map(taskHolderId));
  const orphans: Reservation[] = [];
  for (const r of reservations) if (r.kind === 'task' && !liveHolders.has(r.holderId)) orphans.push(r);
  return orphans.sort((a, b) => a.nodeId.localeCompare(b.nodeId) || a.holderId.localeCompare(b.holderId));
}
