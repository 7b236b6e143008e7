/**
 * A task's health as its agent reports it: the readiness of a running task and the last failure of
 * its checks, recorded on the task with an event for every change.
 */
import { isTaskHealth } from '../../core/domain';
import type { TaskReport__Output } from '../../proto/berth/generated/berth/agent/v1/TaskReport';
import type { TaskRecord } from '../store/records';

type Event = [reason: string, message: string];

/**
 * Sets `next.health` and `next.healthMessage` from the report (`next` is the task's next record, its
 * state already decided) and answers the events they call for. Only a running task has a readiness;
 * the last failure stays through restarts (it says why the task was restarted) until the agent stops
 * reporting it.
 */
export function applyHealth(task: TaskRecord, next: TaskRecord, r: TaskReport__Output): Event[] {
  const health = next.state === 'running' && isTaskHealth(r.health) ? r.health : undefined;
  if (health) next.health = health;
  else delete next.health;
  // A `preparing` report (a task about to start) knows nothing of its checks: the record's stays.
  if (r.state !== 'preparing') {
    if (r.healthMessage) next.healthMessage = r.healthMessage;
    else delete next.healthMessage;
  }
  const events: Event[] = [];
  if (health && health !== task.health) {
    if (health === 'healthy') events.push(['Ready', `task ${task.id} is ready: its readiness check passes`]);
    else if (health === 'unhealthy') events.push(['NotReady', `task ${task.id} is not ready: ${next.healthMessage ?? 'its readiness check fails'}`]);
    else events.push(['Checking', `task ${task.id} runs; waiting for its readiness check`]);
  }
  if (next.healthMessage && next.healthMessage !== task.healthMessage) events.push(['CheckFailed', next.healthMessage]);
  return events;
}

/** Whether the report changes the task's health or its last failure. */
export function healthChanged(task: TaskRecord, next: TaskRecord): boolean {
  return task.health !== next.health || task.healthMessage !== next.healthMessage;
}

/** A running task whose app has no readiness check is ready; one that has one once the check passes. */
export function isReady(task: TaskRecord): boolean {
  return task.state === 'running' && (!task.spec?.readiness || task.health === 'healthy');
}
