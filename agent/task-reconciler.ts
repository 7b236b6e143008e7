import { Logger } from 'pino';
import type { TaskAssignment__Output } from '../proto/berth/generated/berth/agent/v1/TaskAssignment';
import type { TaskReport } from '../proto/berth/generated/berth/agent/v1/TaskReport';
import type { Executor, PathMapping, TaskAddress, TaskSpec, TaskStatus } from './executors/executor';
import { AgentLocalState } from './local-state';
import { RestartBackoff } from './restart-backoff';
import { stopPolicyOf } from './stop-policy';
import { VolumeAttacher } from './volume-attacher';
import { createdReports, createVolumes } from './volume-creator';
import { prepareVolumeRoot, taskOwner, volumeOwner } from './volume-root';
import type { AttachedVolume } from './volume-attacher';
import { listMounts } from '../lib/mounts/mounts';
import { existsSync, realpathSync } from 'node:fs';
import type { CsiClient } from '../volumes/csi-client/client';
import { fromWireCheck } from '../proto/berth/health-checks';
import type { HealthCheck } from '../core/domain';
import type { Probe } from './health/check-runner';
import { HealthMonitor, type TaskChecks } from './health/health-monitor';
import { runProbe } from './health/probes';

export interface TaskReconcilerOptions {
  backoff?: RestartBackoff;
  /** A task's health changed (or its liveness check restarts it): worth a reconcile and a report soon. */
  healthChanged?: () => void;
}

/**
 * Makes the node's tasks match the desired assignments: attach volumes and start what should run,
 * restart what exited (a stateful task restarts on the same node with the same volumes), stop and
 * detach what is no longer assigned. Runs the same whether the desired list came from the server just
 * now or from the agent's disk while the server is away.
 */
export class TaskReconciler {
  private readonly messages = new Map<string, string>();
  /** What the agent had to do to start a task (stop what was left of an earlier run), reported while that run lasts. */
  private readonly notes = new Map<string, string>();
  private readonly retiring = new Map<string, Promise<void>>();
  /** Containers being created ahead of their volumes (prepare), by task. */
  private readonly preparing = new Map<string, Promise<void>>();
  private readonly backoff: RestartBackoff;
  private readonly health: HealthMonitor;
  /** Tasks being stopped because their liveness check failed, with why. */
  private readonly killing = new Map<string, string>();
  /** Why a task's last run was ended by its liveness check, until it runs again. */
  private readonly livenessEnded = new Map<string, string>();
  /** Tasks seen running (or started) by the reconcile under way: the others' checks stop. */
  private runningNow = new Set<string>();

  constructor(
    private readonly executor: Executor,
    private readonly attacher: VolumeAttacher,
    private readonly state: AgentLocalState,
    private readonly log: Logger,
    private readonly clientFor: (plugin: string) => CsiClient,
    private readonly options: TaskReconcilerOptions = {},
  ) {
    this.backoff = options.backoff ?? new RestartBackoff();
    this.health = new HealthMonitor({
      probeFor: (taskId, check) => this.probeFor(taskId, check),
      livenessFailed: (taskId, why) => this.livenessFailed(taskId, why),
      changed: () => this.options.healthChanged?.(),
    });
  }

  /** Stops every health check (the agent is going away; its tasks keep running). */
  stopChecks(): void {
    this.health.keepOnly(new Set());
  }

  /** `keepLogs`: tasks retired now keep their output (a drain: they start again with the node). */
  async reconcile(desired: TaskAssignment__Output[], { keepLogs = false }: { keepLogs?: boolean } = {}): Promise<TaskReport[]> {
    this.runningNow = new Set();
    const wanted = new Map(desired.map((a) => [a.taskId, a]));
    const running = new Map<string, TaskStatus>();
    for (const s of await this.executor.list()) running.set(s.taskId, s);

    // Tasks no longer assigned here (app deleted, scaled down, replaced by a new generation): stop them,
    // then release their volumes — never unpublish a volume under a running task. In the background:
    // a stop may wait out its grace period, and new work must not wait for it.
    const toRetire = [...new Set([...Object.keys(this.state.actual), ...running.keys()])].filter((taskId) => {
      const want = wanted.get(taskId);
      const have = this.state.actual[taskId];
      return !(want && (!have || have.assignment.generation === want.generation));
    });
    for (const taskId of toRetire) {
      if (!this.retiring.has(taskId))
        this.retiring.set(
          taskId,
          // Its output goes only with the task itself: not when a new generation replaces it.
          this.retire(taskId, !keepLogs && !wanted.has(taskId)).finally(() => this.retiring.delete(taskId)),
        );
    }

    // Each task on its own: a slow step of one (a CreateVolume, a stage, an image) does not hold up the others.
    const reports: TaskReport[] = await Promise.all(
      desired.map(async (a): Promise<TaskReport> => {
        if (this.retiring.has(a.taskId))
          return { taskId: a.taskId, generation: a.generation, state: 'preparing', message: 'the previous generation is stopping' };
        return a.prepareOnly ? this.prepare(a, running.get(a.taskId)) : this.ensureRunning(a, running.get(a.taskId));
      }),
    );
    // A task not retired yet — its container still here, its volumes still attached, or a retirement under
    // way — is reported as stopping: the server must not reclaim a volume this node may still hold. The
    // containers are those listed at the start: one that went away since is reported gone next round,
    // and listing again would put another docker round trip between a task's start and its report.
    const leftovers = new Set([...running.keys(), ...Object.keys(this.state.actual), ...this.retiring.keys()]);
    for (const taskId of leftovers) {
      if (!wanted.has(taskId)) reports.push({ taskId, state: 'stopping', message: 'not assigned here any more; stopping' });
    }
    // Checks run only while their task runs: an exited, stopping or retired task's timers end here.
    this.health.keepOnly(this.runningNow);
    return reports;
  }

  /** Resolves when every retirement under way has finished (used to drain a node). */
  async settle(): Promise<void> {
    await Promise.all([...this.retiring.values(), ...this.preparing.values()]);
  }

  private async retire(taskId: string, removeLogs: boolean): Promise<void> {
    try {
      // The policy of the assignment the task was started with; a task this agent has no record of gets the defaults.
      const stop = stopPolicyOf(this.state.actual[taskId]?.assignment);
      await this.executor.stop(taskId, stop.gracePeriodSeconds, stop.signal);
      await this.executor.remove(taskId);
      if (removeLogs) await this.executor.removeLogs?.(taskId);
      const entry = this.state.actual[taskId];
      if (entry) {
        // A volume without an id was never created here, so never attached (the agent crashed before).
        for (const v of entry.assignment.volumes.filter((x) => x.volumeId)) {
          const others = Object.entries(this.state.actual).some(([id, e]) => id !== taskId && e.assignment.volumes.some((x) => x.volumeId === v.volumeId));
          await this.attacher.detach(taskId, v, !others);
        }
        delete this.state.actual[taskId];
        this.state.save();
      }
      this.attacher.forgetTask(taskId);
      this.backoff.forget(taskId);
      this.notes.delete(taskId);
      this.health.forget(taskId);
      this.livenessEnded.delete(taskId);
      this.log.info({ taskId }, 'task retired');
    } catch (error) {
      this.log.warn({ taskId, err: error instanceof Error ? error.message : String(error) }, 'retiring task failed; will retry');
    }
  }

  /**
   * A task whose volumes the server is still provisioning: its container is created now (with the
   * publish targets as its bind mounts), so starting it later does not wait for docker create. Nothing
   * is attached. Best effort: if this fails, the start creates the container as usual.
   */
  private prepare(a: TaskAssignment__Output, status: TaskStatus | undefined): TaskReport {
    const report: TaskReport = { taskId: a.taskId, generation: a.generation, restarts: 0, state: 'preparing', message: 'waiting for its volumes' };
    const prepare = this.executor.prepare?.bind(this.executor);
    if (!prepare || this.preparing.has(a.taskId) || (status && !neverStarted(status))) return report;
    // In the background: the volumes may be ready before docker create is done, and attaching them need
    // not wait for it. The executor runs one operation per task at a time, so a start queues behind it.
    const done = (async () => {
      try {
        const mounts = a.volumes.map((v) => ({ hostPath: this.attacher.prepareTarget(a.taskId, v), containerPath: v.mountPath, readOnly: v.readOnly }));
        await prepare(taskSpecOf(a, mounts, []));
      } catch (error) {
        this.log.debug({ taskId: a.taskId, err: error instanceof Error ? error.message : String(error) }, 'could not prepare the task ahead of its start');
      }
    })().finally(() => this.preparing.delete(a.taskId));
    this.preparing.set(a.taskId, done);
    return report;
  }

  /**
   * Before a start: fresh volume roots get their owner and fsGroup (volume-root.ts), and a process task
   * running as another user is let through to its publish targets. An unknown user fails the start here.
   */
  private prepareIdentity(a: TaskAssignment__Output, mounts: readonly AttachedVolume[]): void {
    const fsGroup = fsGroupOf(a);
    const owner = taskOwner(this.executor.kind, a.user ?? '', fsGroup);
    for (const m of mounts) {
      if (m.block || m.readOnly) continue;
      const v = a.volumes.find((x) => x.name === m.name);
      if (prepareVolumeRoot(m.hostPath, volumeOwner(v?.owner ?? '') ?? owner, fsGroup)) {
        this.log.info({ taskId: a.taskId, volume: m.name, owner: v?.owner || a.user, fsGroup }, "fresh volume root given to the task's user");
      }
    }
    if (this.executor.kind === 'process' && owner && mounts.length > 0) this.attacher.openPublishPath(a.taskId, owner.gid ?? 0);
  }

  private async ensureRunning(a: TaskAssignment__Output, status: TaskStatus | undefined): Promise<TaskReport> {
    const entry = this.state.actual[a.taskId];
    // Volumes this agent created are reported until the server's assignment names them.
    const created = entry?.assignment.generation === a.generation ? { ...entry.created } : {};
    const base = {
      taskId: a.taskId,
      generation: a.generation,
      restarts: entry?.restarts ?? 0,
      created: createdReports(a.volumes, created),
      healthMessage: this.health.report(a.taskId, false).healthMessage,
    };
    const killing = this.killing.get(a.taskId);
    if (killing) {
      // Never started again before the stop that its liveness check asked for has finished.
      return {
        ...base,
        state: status?.state === 'running' ? 'running' : 'failed',
        containerAddress: status?.state === 'running' ? (status.address ?? '') : '',
        message: `${killing}; stopping it to restart it`,
      };
    }
    if (status?.state === 'running') {
      this.track(a, status.startedAt);
      return {
        ...base,
        state: 'running',
        containerAddress: status.address ?? '',
        startedAtMs: String(Date.parse(status.startedAt ?? '') || 0),
        message: this.notes.get(a.taskId) ?? '',
        ...this.health.report(a.taskId, Boolean(a.readiness)),
      };
    }
    // A container prepared ahead (never started) is not a run that ended: no restart, no back-off.
    const restart = entry !== undefined && status !== undefined && !neverStarted(status);
    const livenessEnded = this.livenessEnded.get(a.taskId);
    if (restart) {
      const wait = this.backoff.delayFor(a.taskId, status);
      if (wait > 0) {
        const why = livenessEnded ? `stopped because its ${livenessEnded}` : `exited with code ${status.exitCode ?? '?'}`;
        const message = `${why} after a short run (${this.backoff.failures(a.taskId)} in a row); restarting in ${Math.ceil(wait / 1000)} s (crash-loop back-off)`;
        return { ...base, state: 'failed', exitCode: status.exitCode ?? 0, message };
      }
    }
    try {
      const began = Date.now();
      // The container is created while the volumes are made and attached; the start waits for both.
      if (!status && a.volumes.every((v) => !v.block)) this.prepare(a, status);
      // Volumes this agent created already keep the ids they were given (a restart of the task creates nothing).
      const volumes = await createVolumes(a.volumes, created, this.clientFor);
      // Recorded before the first attach, with every volume's id: whatever gets attached is then always
      // found and detached later. (A crash before this line has attached nothing; a volume created by
      // then is found again by its name.)
      this.state.actual[a.taskId] = { assignment: { ...a, volumes }, restarts: (entry?.restarts ?? 0) + (restart ? 1 : 0), created };
      this.state.save();
      const mounts = [];
      for (const v of volumes) mounts.push(await this.attacher.attach(a.taskId, v));
      // The container binds the publish targets, which exist as empty directories before publishing
      // (prepared containers): one that holds no mount now would let the task write to this node's root disk.
      // (The agent must see the plugins' mounts: same mount namespace, or shared propagation.)
      const mounted = new Set(listMounts().map((m) => m.mountPoint));
      const bare = mounts.find((m) => !m.block && !(existsSync(m.hostPath) && mounted.has(realpathSync(m.hostPath))));
      if (bare) throw new Error(`volume ${bare.name} is not mounted at ${bare.hostPath} although its plugin published it; not starting without it`);
      this.prepareIdentity(a, mounts);
      const attachedMs = Date.now() - began;
      // Never a second copy beside what is left of the last run (children that outlived it): those are
      // stopped first, the way the app says its tasks stop, and the operator is told.
      let note: string | undefined;
      if (status?.leftovers) {
        const stop = stopPolicyOf(a);
        note = `${status.leftovers} process(es) of its previous run were still running after it exited; stopped them (${stop.signal}, ${stop.gracePeriodSeconds} s grace) before starting it again`;
        this.log.warn({ taskId: a.taskId, leftovers: status.leftovers }, 'processes of the previous run still running; stopping them before the restart');
        await this.executor.stop(a.taskId, stop.gracePeriodSeconds, stop.signal);
      }
      // A prepared container stays: the executor starts it if it was made with this very spec.
      if (status && !neverStarted(status)) await this.executor.remove(a.taskId);
      const started = await this.executor.start(
        taskSpecOf(
          a,
          mounts.filter((m) => !m.block).map((m) => ({ hostPath: m.hostPath, containerPath: m.mountPath, readOnly: m.readOnly })),
          mounts.filter((m) => m.block).map((m) => ({ hostPath: m.hostPath, containerPath: m.mountPath, readOnly: m.readOnly })),
        ),
      );
      // Where start-up time goes (volumes vs runtime): the first thing to look at when starts feel slow.
      this.log.info({ taskId: a.taskId, attachMs: attachedMs, startMs: Date.now() - began - attachedMs }, 'task started');
      if (restart) this.log.info({ taskId: a.taskId, exitCode: status?.exitCode }, 'task exited; restarted on this node with the same volumes');
      this.messages.delete(a.taskId);
      if (restart && livenessEnded) note ??= `restarted because its ${livenessEnded}`;
      this.livenessEnded.delete(a.taskId);
      note ??= started.message;
      if (note) this.notes.set(a.taskId, note);
      else this.notes.delete(a.taskId);
      this.track(a, started.startedAt);
      return {
        ...base,
        ...this.health.report(a.taskId, Boolean(a.readiness)),
        created: createdReports(a.volumes, created),
        restarts: this.state.actual[a.taskId].restarts,
        state: 'running',
        containerAddress: started.address ?? '',
        message: note ?? '',
        startedAtMs: String(Date.parse(started.startedAt ?? '') || Date.now()),
        exitCode: status?.exitCode ?? 0,
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (this.messages.get(a.taskId) !== message) this.log.warn({ taskId: a.taskId, err: message }, 'task could not start');
      this.messages.set(a.taskId, message);
      return { ...base, created: createdReports(a.volumes, created), state: 'failed', message };
    }
  }

  /** The checks of this run of the task run from now (the same ones while the run lasts). */
  private track(a: TaskAssignment__Output, startedAt: string | undefined): void {
    this.runningNow.add(a.taskId);
    this.health.track(a.taskId, `${a.generation}/${startedAt ?? ''}`, checksOf(a));
  }

  /** A probe reaches the task through its executor: exec inside it, ports at its address (resolved once per run). */
  private probeFor(taskId: string, check: HealthCheck): Probe {
    let address: Promise<TaskAddress> | undefined;
    const target = {
      exec: (command: readonly string[], timeoutMs: number) => this.executor.exec(taskId, command, { timeoutMs }),
      address: () => {
        address ??= this.executor.address ? this.executor.address(taskId) : Promise.resolve({ host: '127.0.0.1' });
        return address.catch((error: unknown) => {
          address = undefined;
          throw error;
        });
      },
    };
    return (timeoutMs) => runProbe(check.probe, target, timeoutMs);
  }

  /**
   * Stops the task the way its app says tasks stop; the reconcile then finds it exited and starts it
   * again with the usual crash-loop back-off. In the background: the grace period must not hold up the
   * other tasks.
   */
  private livenessFailed(taskId: string, why: string): void {
    const entry = this.state.actual[taskId];
    if (!entry || this.killing.has(taskId)) return;
    const stop = stopPolicyOf(entry.assignment);
    this.log.warn({ taskId, why }, 'liveness check failed; restarting the task');
    this.killing.set(taskId, why);
    this.livenessEnded.set(taskId, why);
    this.executor
      .stop(taskId, stop.gracePeriodSeconds, stop.signal)
      .catch((error: unknown) =>
        this.log.warn({ taskId, err: error instanceof Error ? error.message : String(error) }, 'stopping the task after its liveness check failed'),
      )
      .finally(() => {
        this.killing.delete(taskId);
        this.options.healthChanged?.();
      });
  }
}

function checksOf(a: TaskAssignment__Output): TaskChecks {
  const readiness = fromWireCheck(a.readiness);
  const liveness = fromWireCheck(a.liveness);
  return { ...(readiness ? { readiness } : {}), ...(liveness ? { liveness } : {}) };
}

/** The App's fsGroup from an assignment (a decimal string; empty: none). */
function fsGroupOf(a: TaskAssignment__Output): number | undefined {
  return a.fsGroup ? Number(a.fsGroup) : undefined;
}

/** Created (by `prepare`) but never started: no run has ended, so there is nothing to restart. */
function neverStarted(status: TaskStatus): boolean {
  return status.state === 'exited' && !status.startedAt;
}

/** The runtime spec of an assignment: the same for a prepare and the start after it, or the prepared container is not reused. */
function taskSpecOf(a: TaskAssignment__Output, mounts: PathMapping[], devices: PathMapping[]): TaskSpec {
  return {
    taskId: a.taskId,
    app: a.app,
    instance: a.instance,
    image: a.image || undefined,
    command: a.command,
    env: a.env,
    mounts,
    devices,
    cpu: a.cpu,
    memoryBytes: Number(a.memoryBytes),
    labels: {},
    stop: stopPolicyOf(a),
    ...(a.user ? { user: a.user } : {}),
    ...(fsGroupOf(a) !== undefined ? { fsGroup: fsGroupOf(a) } : {}),
    ...(a.ports?.length
      ? {
          ports: a.ports.map((p) => ({ name: p.name, hostPort: p.hostPort, containerPort: p.containerPort || p.hostPort })),
          ...(a.nodeAddress ? { nodeAddress: a.nodeAddress } : {}),
        }
      : {}),
  };
}
