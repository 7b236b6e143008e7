/**
 * The health checks of the tasks running on this node. Each run of a task (generation + start time)
 * gets its own check runners, started when the agent sees it running and stopped when it no longer
 * is; a new run starts over at `unknown`. A liveness check that fails is handed to `livenessFailed`,
 * which restarts the task.
 */
import type { HealthCheck, HealthCheckKind, TaskHealth } from '../../core/domain';
import { CheckRunner, type Probe, realTimers, type Timers } from './check-runner';

export interface TaskChecks {
  readonly readiness?: HealthCheck;
  readonly liveness?: HealthCheck;
}

/** What goes into a task's report: its readiness ('' without a readiness check) and the last check failure. */
export interface HealthReport {
  readonly health: TaskHealth | '';
  readonly healthMessage: string;
}

interface Tracked {
  readonly run: string;
  readonly readiness?: CheckRunner;
  readonly liveness?: CheckRunner;
}

export interface HealthMonitorOptions {
  /** The probe of one check of one task. */
  probeFor(taskId: string, check: HealthCheck): Probe;
  /** The liveness check of the task's current run failed failureThreshold times in a row; `message` says why. */
  livenessFailed(taskId: string, message: string): void;
  /** A readiness state or a failure message changed: worth a report to the server soon. */
  changed?(): void;
  timers?: Timers;
}

export class HealthMonitor {
  private readonly tasks = new Map<string, Tracked>();
  /** The last failure per task, kept across its runs: why a task was restarted stays visible after the restart. */
  private readonly lastFailure = new Map<string, string>();

  constructor(private readonly options: HealthMonitorOptions) {}

  /**
   * The task runs (`run` names this run, e.g. generation and start time): its checks run from now on,
   * the same runners as long as the run is the same.
   */
  track(taskId: string, run: string, checks: TaskChecks): void {
    if (this.tasks.get(taskId)?.run === run) return;
    this.stop(taskId);
    if (!checks.readiness && !checks.liveness) return;
    const tracked: Tracked = {
      run,
      ...(checks.readiness ? { readiness: this.runner(taskId, 'readiness', checks.readiness, run) } : {}),
      ...(checks.liveness ? { liveness: this.runner(taskId, 'liveness', checks.liveness, run) } : {}),
    };
    this.tasks.set(taskId, tracked);
    tracked.readiness?.start();
    tracked.liveness?.start();
  }

  private runner(taskId: string, kind: HealthCheckKind, check: HealthCheck, run: string): CheckRunner {
    return new CheckRunner(
      check,
      this.options.probeFor(taskId, check),
      (runner) => {
        // A runner of a run that was replaced while its probe was out says nothing any more.
        if (this.tasks.get(taskId)?.run !== run) return;
        if (runner.failure) this.lastFailure.set(taskId, `${kind}: ${runner.failure}`);
        if (kind === 'liveness' && runner.health === 'unhealthy') {
          const message = `${kind} check failed ${runner.failuresInARow} times in a row (${runner.failure ?? 'no reason given'})`;
          this.stop(taskId);
          this.options.livenessFailed(taskId, message);
        }
        this.options.changed?.();
      },
      this.options.timers ?? realTimers,
    );
  }

  /** The task does not run (exited, stopping, retired): its checks stop. Its last failure is kept. */
  stop(taskId: string): void {
    const tracked = this.tasks.get(taskId);
    if (!tracked) return;
    tracked.readiness?.stop();
    tracked.liveness?.stop();
    this.tasks.delete(taskId);
  }

  /** Stops the checks of every task not in `running`. */
  keepOnly(running: ReadonlySet<string>): void {
    for (const taskId of [...this.tasks.keys()]) if (!running.has(taskId)) this.stop(taskId);
  }

  /** The task is gone from this node: nothing of it is kept. */
  forget(taskId: string): void {
    this.stop(taskId);
    this.lastFailure.delete(taskId);
  }

  /** The report of a running task: `unknown` while its readiness check has not decided yet. */
  report(taskId: string, hasReadiness: boolean): HealthReport {
    const readiness = this.tasks.get(taskId)?.readiness;
    return { health: hasReadiness ? (readiness?.health ?? 'unknown') : '', healthMessage: this.lastFailure.get(taskId) ?? '' };
  }
}
