/**
 * How a task is stopped: the signal its processes get first, and how long they have to exit before
 * SIGKILL. The defaults are Docker's and Kubernetes' (SIGTERM, 30 s), so software written for those
 * shuts down the way its operators expect.
 */

/**
 * Signals a stop may start with: the ones servers use for "shut down" (postgres: TERM smart, INT
 * fast, QUIT immediate; nginx QUIT; httpd WINCH). Never SIGKILL or SIGSTOP: those leave nothing to
 * wait for, which is what a grace period of 0 already says.
 */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

export interface StopPolicy {
  readonly signal: StopSignal;
  /** Seconds between the signal and SIGKILL, 0..MAX_GRACE_SECONDS. */
  readonly gracePeriodSeconds: number;
}

export const DEFAULT_STOP_POLICY: StopPolicy = { signal: 'SIGTERM', gracePeriodSeconds: 30 };

/** An hour: a longer wait is a stop that hangs, and holds a delete, a drain or a rollout with it. */
export const MAX_GRACE_SECONDS = 3600;

export function isStopSignal(value: unknown): value is StopSignal {
  return typeof value === 'string' && (STOP_SIGNALS as readonly string[]).includes(value);
}
