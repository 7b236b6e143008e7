/**
 * Crash-loop back-off for task restarts. A stateful task restarts on its node with its volumes, but
 * a task that exits right after starting (bad config, missing file) must not be restarted in a hot
 * loop: each quick exit doubles the wait (1 s, 2 s, 4 s … up to `maxMs`), and a run that lasted
 * `resetAfterMs` counts as healthy again, so a task that crashes once a day restarts at once.
 */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** A run at least this long resets the back-off. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 5 * 60_000, resetAfterMs: 10 * 60_000 };

interface TaskBackoff {
  /** Quick exits in a row. */
  failures: number;
  /** No restart before this time (ms). */
  notBefore: number;
  /** The exit this entry was computed for (so one exit is counted once however often it is seen). */
  exitKey: string;
}

export class RestartBackoff {
  private readonly tasks = new Map<string, TaskBackoff>();

  constructor(private readonly policy: BackoffPolicy = DEFAULT_BACKOFF) {}

  /**
   * Called for a task that exited and should run: answers how long to wait before restarting it
   * (0 = now). `startedAt`/`finishedAt` are the runtime's ISO times of the run that ended.
   */
  delayFor(taskId: string, exit: { startedAt?: string; finishedAt?: string }, now = Date.now()): number {
    const exitKey = `${exit.startedAt ?? ''}/${exit.finishedAt ?? ''}`;
    let entry = this.tasks.get(taskId);
    if (!entry || entry.exitKey !== exitKey) {
      const ran = Date.parse(exit.finishedAt ?? '') - Date.parse(exit.startedAt ?? '');
      const healthyRun = Number.isFinite(ran) && ran >= this.policy.resetAfterMs;
      const failures = healthyRun ? 0 : (entry?.failures ?? 0) + 1;
      const wait = failures === 0 ? 0 : Math.min(this.policy.initialMs * 2 ** (failures - 1), this.policy.maxMs);
      const finished = Date.parse(exit.finishedAt ?? '');
      entry = { failures, notBefore: (Number.isFinite(finished) ? finished : now) + wait, exitKey };
      this.tasks.set(taskId, entry);
    }
    return Math.max(0, entry.notBefore - now);
  }

  /** Quick exits in a row so far (for messages). */
  failures(taskId: string): number {
    return this.tasks.get(taskId)?.failures ?? 0;
  }

  forget(taskId: string): void {
    this.tasks.delete(taskId);
  }
}
