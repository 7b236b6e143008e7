/** The stop policy of an assignment, as the executors take it. */
import { DEFAULT_STOP_POLICY, isStopSignal, MAX_GRACE_SECONDS } from '../core/domain';
import type { StopPolicy } from '../core/domain';
import type { TaskAssignment__Output } from '../proto/berth/generated/berth/agent/v1/TaskAssignment';

/**
 * An older server sends none (then the defaults); a newer one might send a signal this agent does not
 * know: SIGTERM then, rather than refusing to stop the task.
 */
export function stopPolicyOf(a: TaskAssignment__Output | undefined): StopPolicy {
  const stop = a?.stop;
  if (!stop) return DEFAULT_STOP_POLICY;
  const grace = Number(stop.gracePeriodSeconds);
  return {
    signal: isStopSignal(stop.signal) ? stop.signal : DEFAULT_STOP_POLICY.signal,
    gracePeriodSeconds: Number.isFinite(grace) ? Math.min(Math.max(grace, 0), MAX_GRACE_SECONDS) : DEFAULT_STOP_POLICY.gracePeriodSeconds,
  };
}
