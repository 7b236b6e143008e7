import { Logger } from 'pino';
import type { TaskAssignment__Output } from '../proto/berth/generated/berth/agent/v1/TaskAssignment';
import type { TaskReport } from '../proto/berth/generated/berth/agent/v1/TaskReport';
import type { Executor, TaskStatus } from './executors/executor';
import { AgentLocalState } from './local-state';
import { RestartBackoff } from './restart-backoff';
import { VolumeAttacher } from './volume-attacher';

/**
 * Makes the node's tasks match the desired assignments: attach volumes and start what should run,
 * restart what exited (a stateful task restarts on the same node with the same volumes), stop and
 * detach what is no longer assigned. Runs the same whether the desired list came from the server just
 * now or from the agent's disk while the server is away.
 */
export class TaskReconciler {
  private readonly messages = new Map<string, string>();
  private readonly retiring = new Map<string, Promise<void>>();

  constructor(private readonly executor: Executor, private readonly attacher: VolumeAttacher,
              private readonly state: AgentLocalState, private readonly log: Logger,
              private readonly backoff = new RestartBackoff()) {}

  async reconcile(desired: TaskAssignment__Output[]): Promise<TaskReport[]> {
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
      if (!this.retiring.has(taskId)) this.retiring.set(taskId, this.retire(taskId).finally(() => this.retiring.delete(taskId)));
    }

    const reports: TaskReport[] = [];
    for (const a of desired) {
      if (this.retiring.has(a.taskId)) {
        reports.push({ taskId: a.taskId, generation: a.generation, state: 'preparing', message: 'the previous generation is stopping' });
        continue;
      }
      reports.push(await this.ensureRunning(a, running.get(a.taskId)));
    }
    // A task not retired yet — its container still here, its volumes still attached, or a retirement under
    // way — is reported as stopping: the server must not reclaim a volume this node may still hold. The
    // containers are those listed at the start: one that went away since is reported gone next round,
    // and listing again would put another docker round trip between a task's start and its report.
    const leftovers = new Set([...running.keys(), ...Object.keys(this.state.actual), ...this.retiring.keys()]);
    for (const taskId of leftovers) {
      if (!wanted.has(taskId)) reports.push({ taskId, state: 'stopping', message: 'not assigned here any more; stopping' });
    }
    return reports;
  }

  /** Resolves when every retirement under way has finished (used to drain a node). */
  async settle(): Promise<void> {
    await Promise.all([...this.retiring.values()]);
  }

  private async retire(taskId: string): Promise<void> {
    try {
      await this.executor.stop(taskId, 10);
      await this.executor.remove(taskId);
      const entry = this.state.actual[taskId];
      if (entry) {
        for (const v of entry.assignment.volumes) {
          const others = Object.entries(this.state.actual).some(([id, e]) => id !== taskId && e.assignment.volumes.some((x) => x.volumeId === v.volumeId));
          await this.attacher.detach(taskId, v, !others);
        }
        delete this.state.actual[taskId];
        this.state.save();
      }
      this.attacher.forgetTask(taskId);
      this.backoff.forget(taskId);
      this.log.info({ taskId }, 'task retired');
    } catch (error) {
      this.log.warn({ taskId, err: error instanceof Error ? error.message : String(error) }, 'retiring task failed; will retry');
    }
  }

  private async ensureRunning(a: TaskAssignment__Output, status: TaskStatus | undefined): Promise<TaskReport> {
    const entry = this.state.actual[a.taskId];
    const base = { taskId: a.taskId, generation: a.generation, restarts: entry?.restarts ?? 0 };
    if (status?.state === 'running') {
      return { ...base, state: 'running', startedAtMs: String(Date.parse(status.startedAt ?? '') || 0) };
    }
    const restart = entry !== undefined && status !== undefined;
    if (restart) {
      const wait = this.backoff.delayFor(a.taskId, status);
      if (wait > 0) {
        const message = `exited with code ${status.exitCode ?? '?'} after a short run (${this.backoff.failures(a.taskId)} in a row); restarting in ${Math.ceil(wait / 1000)} s (crash-loop back-off)`;
        return { ...base, state: 'failed', exitCode: status.exitCode ?? 0, message };
      }
    }
    try {
      // Recorded before the first attach: whatever gets attached is then always found and detached later.
      this.state.actual[a.taskId] = { assignment: a, restarts: (entry?.restarts ?? 0) + (restart ? 1 : 0) };
      this.state.save();
      const began = Date.now();
      const mounts = [];
      for (const v of a.volumes) mounts.push(await this.attacher.attach(a.taskId, v));
      const attachedMs = Date.now() - began;
      if (status) await this.executor.remove(a.taskId);
      const started = await this.executor.start({
        taskId: a.taskId, app: a.app, instance: a.instance, image: a.image || undefined, command: a.command, env: a.env,
        mounts: mounts.filter((m) => !m.block).map((m) => ({ hostPath: m.hostPath, containerPath: m.mountPath, readOnly: m.readOnly })),
        devices: mounts.filter((m) => m.block).map((m) => ({ hostPath: m.hostPath, containerPath: m.mountPath, readOnly: m.readOnly })),
        cpu: a.cpu, memoryBytes: Number(a.memoryBytes), labels: {},
      });
      // Where start-up time goes (volumes vs runtime): the first thing to look at when starts feel slow.
      this.log.info({ taskId: a.taskId, attachMs: attachedMs, startMs: Date.now() - began - attachedMs }, 'task started');
      if (restart) this.log.info({ taskId: a.taskId, exitCode: status?.exitCode }, 'task exited; restarted on this node with the same volumes');
      this.messages.delete(a.taskId);
      return { ...base, restarts: this.state.actual[a.taskId].restarts, state: 'running', startedAtMs: String(Date.parse(started.startedAt ?? '') || Date.now()),
        exitCode: status?.exitCode ?? 0 };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (this.messages.get(a.taskId) !== message) this.log.warn({ taskId: a.taskId, err: message }, 'task could not start');
      this.messages.set(a.taskId, message);
      return { ...base, state: 'failed', message };
    }
  }
}
