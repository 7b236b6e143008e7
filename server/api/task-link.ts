import type { ClusterContext } from '../cluster-context';
import type { NodeLink } from '../agents/node-link';
import type { TaskRecord } from '../store/records';
import { failedPrecondition, invalidArgument, notFound, unavailable } from '../../lib/errors';

/** The link to the node a task is placed on; `what` ("read logs from") phrases the error when it has none. */
export function taskLink(ctx: ClusterContext, taskId: string, what: string): { task: TaskRecord; link: NodeLink } {
  const task = ctx.store.tasks.get(taskId);
  if (!task) throw notFound(`task ${taskId} not found`);
  const node = task.nodeId ? ctx.store.nodes.get(task.nodeId) : undefined;
  if (!node?.address) throw unavailable(`task ${taskId} has no node to ${what}`);
  return { task, link: ctx.links.get(node) };
}

/** The link to a running task's node, for a command in it: a task that does not run is refused (409) with its state. */
export function runningTaskLink(ctx: ClusterContext, taskId: string): NodeLink {
  const { task, link } = taskLink(ctx, taskId, 'run commands on');
  if (task.state !== 'running') throw failedPrecondition(`task ${taskId} is not running (state: ${task.state}${task.message ? `: ${task.message}` : ''})`);
  return link;
}

/** `since` of the API (RFC 3339) as Unix ms. */
export function sinceMsOf(since: string | undefined): number | undefined {
  if (since === undefined) return undefined;
  const ms = Date.parse(since);
  if (!/^\d{4}-\d\d-\d\dT/.test(since) || Number.isNaN(ms))
    throw invalidArgument(`since must be an RFC 3339 time such as 2026-01-02T15:04:05Z, got ${JSON.stringify(since)}`);
  return ms;
}
