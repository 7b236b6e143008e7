/**
 * One health check of one run of a task: probes on its own timer (never a loop over all tasks), and
 * turns consecutive results into a state the way Kubernetes probes do. `unknown` until successThreshold
 * successes (→ healthy) or failureThreshold failures (→ unhealthy) in a row; from then on it flips only
 * after that many results the other way.
 */
import type { HealthCheck, TaskHealth } from '../../core/domain';

/** What one probe found: a failure carries why, e.g. "GET :8080/ answered 503". */
export type ProbeOutcome = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** Runs the probe once; it must settle within `timeoutMs` (a probe that cannot answer in time is a failure). */
export type Probe = (timeoutMs: number) => Promise<ProbeOutcome>;

/** The clock the runner schedules with: the real one, or a fake one in tests. */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // Checks never keep the agent process alive on their own.
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class CheckRunner {
  private state: TaskHealth = 'unknown';
  private successes = 0;
  private failures = 0;
  private lastFailure: string | undefined;
  private timer: unknown;
  private stopped = false;

  /**
   * `changed` is called when the state moves or a failure says something new (never for a repeat of
   * the same failure, so a steadily failing check costs the server nothing).
   */
  constructor(
    private readonly check: HealthCheck,
    private readonly probe: Probe,
    private readonly changed: (runner: CheckRunner) => void,
    private readonly timers: Timers = realTimers,
  ) {}

  get health(): TaskHealth {
    return this.state;
  }

  /** Failures in a row so far. */
  get failuresInARow(): number {
    return this.failures;
  }

  /** Why the last failed probe failed, if any did during this run. */
  get failure(): string | undefined {
    return this.lastFailure;
  }

  start(): void {
    this.schedule(this.check.initialDelaySeconds * 1000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.timers.setTimeout(() => void this.run(), ms);
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    const began = this.timers.now();
    let outcome: ProbeOutcome;
    try {
      outcome = await this.probe(this.check.timeoutSeconds * 1000);
    } catch (error) {
      outcome = { ok: false, message: error instanceof Error ? error.message : String(error) };
    }
    if (this.stopped) return;
    this.record(outcome);
    // Every interval from the start of one probe to the next; a probe is done within its timeout ≤ interval.
    this.schedule(Math.max(0, this.check.intervalSeconds * 1000 - (this.timers.now() - began)));
  }

  private record(outcome: ProbeOutcome): void {
    const before = { state: this.state, failure: this.lastFailure };
    if (outcome.ok) {
      this.successes++;
      this.failures = 0;
      if (this.state !== 'healthy' && this.successes >= this.check.successThreshold) this.state = 'healthy';
    } else {
      this.failures++;
      this.successes = 0;
      this.lastFailure = outcome.message;
      if (this.state !== 'unhealthy' && this.failures >= this.check.failureThreshold) this.state = 'unhealthy';
    }
    if (this.state !== before.state || this.lastFailure !== before.failure) this.changed(this);
  }
}
