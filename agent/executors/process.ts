/**
 * The process runtime: each task is a plain child process, for nodes without Docker.
 *
 * LIMITATIONS (by design — this runtime isolates nothing):
 * - No filesystem isolation and no path remapping. A volume is not mounted at its containerPath;
 *   the task learns where it is from BERTH_VOLUME_<NAME>=<hostPath> (NAME from the container path:
 *   "/data" → BERTH_VOLUME_DATA, "/var/lib/pg" → BERTH_VOLUME_VAR_LIB_PG; devices likewise as
 *   BERTH_DEVICE_<NAME>). The working directory is the workingDir mapped through the mounts when it
 *   lies inside one, else the first mount's host path, else the task's state directory.
 *   Read-only mounts and devices are NOT enforced: the task runs as the agent's user.
 * - CPU limits are not enforced. Memory is not enforced either, unless the executor is built with
 *   `memoryLimit: 'rlimit-as'`, which caps the virtual address space with prlimit(1) — a coarse
 *   stand-in (runtimes that reserve large address spaces, e.g. the JVM or Go, fail under it).
 *   Either way the executor logs a warning when a spec asks for limits it does not enforce.
 * - `image` is ignored; the command must exist on the node.
 *
 * How a task runs: `setsid`-style detached wrapper shell (`sh -c` below) that is the session and
 * process-group leader, runs the command in the foreground, and writes the command's exit code to
 * a file — so the code survives an agent restart, when the task is no longer our child. The wrapper
 * traps TERM/INT/HUP with a no-op handler: caught signals reset to default in the command on exec, so
 * the command still dies of SIGTERM, while the wrapper lives on long enough to record 143.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, openSync, closeSync, existsSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, isAbsolute, join, relative } from 'node:path';
import pino, { Logger } from 'pino';
import { InvalidTaskSpecError, RuntimeError, TaskNotFoundError, TaskNotRunningError, TaskStartError } from './errors';
import type { ExecOptions, ExecResult, Executor, LogOptions, PathMapping, TaskSpec, TaskStatus } from './executor';
import { isSameLiveProcess, processGroupMembers, readProcStat } from './proc-stat';
import { ProcessStateDir, ProcessTaskRecord } from './process-state';
import { tailFile } from './tail-file';
import { TaskQueue } from './task-queue';
import { validateTaskId, validateTaskSpec, volumeEnvName } from './task-spec';

export interface ProcessExecutorOptions {
  /** Where task records and logs live; must survive agent restarts (not a tmpfs cleared on restart). */
  readonly stateDir: string;
  /** 'rlimit-as' caps virtual memory with prlimit(1); default 'none' (memoryBytes only logged). */
  readonly memoryLimit?: 'none' | 'rlimit-as';
  readonly logger?: Logger;
}

const WRAPPER = 'trap ":" TERM INT HUP; exit_file=$1; shift; "$@"; echo $? > "$exit_file"';
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const POLL_MS = 25;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Maps a container path to the host through the mounts (longest containerPath prefix wins). */
function remapPath(path: string, mounts: readonly PathMapping[]): string | undefined {
  const hits = mounts
    .filter((m) => {
      const r = relative(m.containerPath, path);
      return r === '' || (!r.startsWith('..') && !isAbsolute(r));
    })
    .sort((a, b) => b.containerPath.length - a.containerPath.length);
  return hits[0] ? join(hits[0].hostPath, relative(hits[0].containerPath, path)) : undefined;
}

function resolveExecutable(command: string, path: string): string | undefined {
  const candidates = command.includes('/')
    ? [command]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, command));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      if (statSync(c).isFile()) return c;
    } catch {
      /* next */
    }
  }
  return undefined;
}

export class ProcessExecutor implements Executor {
  readonly kind = 'process' as const;
  private readonly state: ProcessStateDir;
  private readonly log: Logger;
  /** Per-task queue: two concurrent start() calls must not both spawn (docker gets this from unique names). */
  private readonly queue = new TaskQueue();

  constructor(private readonly options: ProcessExecutorOptions) {
    if (!isAbsolute(options.stateDir)) throw new InvalidTaskSpecError('stateDir', 'must be an absolute path');
    mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
    this.state = new ProcessStateDir(options.stateDir);
    this.log = options.logger ?? pino({ level: 'silent' });
  }

  async start(spec: TaskSpec): Promise<TaskStatus> {
    validateTaskSpec(spec);
    if (spec.command.length === 0) throw new InvalidTaskSpecError('command', 'the process runtime needs a command (there is no image default)');
    return this.queue.run(spec.taskId, () => this.startNow(spec));
  }

  private async startNow(spec: TaskSpec): Promise<TaskStatus> {
    const existing = this.state.read(spec.taskId);
    if (existing) {
      const current = this.statusOf(existing);
      if (current.state === 'running') return current;
      this.state.removeTask(spec.taskId); // exited: start fresh, with a fresh log
    }

    const taskDir = this.state.taskDir(spec.taskId);
    mkdirSync(taskDir, { recursive: true, mode: 0o700 });
    const env = this.taskEnv(spec);
    const executable = resolveExecutable(spec.command[0], env.PATH);
    if (!executable) {
      this.state.removeTask(spec.taskId);
      throw new TaskStartError(spec.taskId, `executable ${JSON.stringify(spec.command[0])} not found in PATH ${env.PATH}`);
    }
    const cwd = (spec.workingDir && remapPath(spec.workingDir, spec.mounts)) ?? spec.workingDir ?? spec.mounts[0]?.hostPath ?? taskDir;
    if (!existsSync(cwd)) {
      this.state.removeTask(spec.taskId);
      throw new TaskStartError(spec.taskId, `working directory ${cwd} does not exist on this node`);
    }
    this.warnUnenforced(spec);

    const argv = ['/bin/sh', '-c', WRAPPER, `berth-task:${spec.taskId}`, this.state.exitPath(spec.taskId), ...spec.command];
    if (this.options.memoryLimit === 'rlimit-as' && spec.memoryBytes > 0) argv.unshift('prlimit', `--as=${spec.memoryBytes}`, '--');

    const logFd = openSync(this.state.logPath(spec.taskId), 'w', 0o600);
    const startedAt = new Date().toISOString();
    let pid: number;
    try {
      // detached: setsid() in the child, so the task has its own session and process group: it
      // survives the agent, and stop() can signal the whole group.
      const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', logFd, logFd], env, cwd });
      pid = await new Promise<number>((resolve, reject) => {
        child.once('spawn', () => resolve(child.pid as number));
        child.once('error', reject);
      });
      child.unref();
    } catch (error) {
      this.state.removeTask(spec.taskId);
      throw new TaskStartError(spec.taskId, (error as Error).message);
    } finally {
      closeSync(logFd);
    }
    const record: ProcessTaskRecord = {
      version: 1,
      taskId: spec.taskId,
      app: spec.app,
      instance: spec.instance,
      pid,
      startTicks: readProcStat(pid)?.startTicks,
      startedAt,
      command: [...spec.command],
      env,
      cwd,
    };
    this.state.write(record);
    this.log.info({ taskId: spec.taskId, pid, cwd }, 'task started as a process');
    return this.statusOf(record);
  }

  async status(taskId: string): Promise<TaskStatus> {
    validateTaskId(taskId);
    const record = this.state.read(taskId);
    return record ? this.statusOf(record) : { taskId, state: 'missing', runtimeId: '' };
  }

  async list(): Promise<TaskStatus[]> {
    const out: TaskStatus[] = [];
    for (const taskId of this.state.taskIds()) {
      try {
        const record = this.state.read(taskId);
        if (record) out.push(this.statusOf(record));
      } catch (error) {
        this.log.warn({ taskId, err: error }, 'unreadable task record; skipping');
      }
    }
    return out;
  }

  async stop(taskId: string, graceSeconds: number): Promise<void> {
    validateTaskId(taskId);
    return this.queue.run(taskId, () => this.stopNow(taskId, graceSeconds));
  }

  private async stopNow(taskId: string, graceSeconds: number): Promise<void> {
    const record = this.state.read(taskId);
    if (!record || !this.alive(record)) return;
    this.signalGroup(record.pid, 'SIGTERM');
    const deadline = Date.now() + Math.max(0, graceSeconds) * 1000;
    while (this.alive(record) && Date.now() < deadline) await sleep(POLL_MS);
    if (this.alive(record)) {
      this.log.warn({ taskId, graceSeconds }, 'task ignored SIGTERM; killing it');
      this.signalGroup(record.pid, 'SIGKILL');
      while (this.alive(record)) await sleep(POLL_MS);
      if (!this.state.readExit(taskId)) this.state.write({ ...record, killedAt: new Date().toISOString() });
    }
    // Whatever the command left running in its process group (background children) goes with it;
    // stop() returns only once the group is empty, so the volume can be unpublished safely. (The
    // leader died a moment ago; its pid, and so the group id, cannot have been reused in between
    // while members remain — a group id stays taken as long as the group has a member.)
    const deadline2 = Date.now() + 5_000;
    while (processGroupMembers(record.pid).length > 0 && Date.now() < deadline2) {
      this.signalGroup(record.pid, 'SIGKILL');
      await sleep(POLL_MS);
    }
  }

  async remove(taskId: string): Promise<void> {
    validateTaskId(taskId);
    return this.queue.run(taskId, async () => {
      const record = this.state.read(taskId);
      if (record && this.alive(record)) await this.stopNow(taskId, 0);
      this.state.removeTask(taskId);
    });
  }

  async logs(taskId: string, options: LogOptions = {}): Promise<string> {
    validateTaskId(taskId);
    if (!this.state.read(taskId)) throw new TaskNotFoundError(taskId);
    try {
      return tailFile(this.state.logPath(taskId), options.tail);
    } catch {
      return '';
    }
  }

  async exec(taskId: string, command: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    validateTaskId(taskId);
    if (command.length === 0) throw new InvalidTaskSpecError('exec.command', 'must not be empty');
    const record = this.state.read(taskId);
    if (!record) throw new TaskNotFoundError(taskId);
    if (!this.alive(record)) throw new TaskNotRunningError(taskId, 'exited');
    const timeoutMs = options.timeoutMs ?? 60_000;
    return new Promise<ExecResult>((resolve, reject) => {
      // Same env and cwd as the task, so hooks see what the task sees.
      const child = spawn(command[0], command.slice(1), { env: { ...record.env }, cwd: record.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      const chunks: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => chunks.push(c));
      child.stderr.on('data', (c: Buffer) => chunks.push(c));
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          process.kill(-(child.pid as number), 'SIGKILL');
        } catch {
          /* gone */
        }
      }, timeoutMs);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new RuntimeError('exec', taskId, error.message));
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        if (timedOut) return reject(new RuntimeError('exec', taskId, `${command.join(' ')} did not finish within ${timeoutMs} ms`));
        // Same convention as a shell: killed by signal N → 128 + N.
        const exitCode = code ?? 128 + (signal ? osConstants.signals[signal] : 0);
        resolve({ exitCode, output: Buffer.concat(chunks).toString('utf8') });
      });
    });
  }

  async waitExit(taskId: string): Promise<TaskStatus> {
    validateTaskId(taskId);
    for (;;) {
      const status = await this.status(taskId);
      if (status.state !== 'running') return status;
      await sleep(100);
    }
  }

  private alive(record: ProcessTaskRecord): boolean {
    return isSameLiveProcess(record.pid, record.startTicks);
  }

  private statusOf(record: ProcessTaskRecord): TaskStatus {
    const base = { taskId: record.taskId, runtimeId: `pid:${record.pid}`, startedAt: record.startedAt, app: record.app, instance: record.instance };
    if (this.alive(record)) return { ...base, state: 'running' };
    const exit = this.state.readExit(record.taskId);
    if (exit) return { ...base, state: 'exited', exitCode: exit.code, finishedAt: exit.at };
    // No exit file: killed by SIGKILL (by stop(), the OOM killer, or a reboot) before the wrapper could write it.
    return { ...base, state: 'exited', exitCode: record.killedAt ? 137 : undefined, finishedAt: record.killedAt };
  }

  /** Signals the task's process group; the wrapper is its leader, so -pid reaches the command and its children. */
  private signalGroup(pid: number, signal: NodeJS.Signals): void {
    try {
      process.kill(-pid, signal);
    } catch {
      /* group already empty */
    }
  }

  private taskEnv(spec: TaskSpec): Record<string, string> {
    // Not the agent's own environment: it may carry credentials the task must not see.
    const env: Record<string, string> = { PATH: process.env.PATH ?? DEFAULT_PATH, HOME: this.state.taskDir(spec.taskId), ...spec.env };
    env.BERTH_TASK_ID = spec.taskId;
    env.BERTH_APP = spec.app;
    env.BERTH_INSTANCE = String(spec.instance);
    for (const m of spec.mounts) env[volumeEnvName('BERTH_VOLUME_', m.containerPath)] = m.hostPath;
    for (const d of spec.devices) env[volumeEnvName('BERTH_DEVICE_', d.containerPath)] = d.hostPath;
    return env;
  }

  private warnUnenforced(spec: TaskSpec): void {
    const unenforced: string[] = [];
    if (spec.cpu > 0) unenforced.push(`cpu ${spec.cpu}`);
    if (spec.memoryBytes > 0 && this.options.memoryLimit !== 'rlimit-as') unenforced.push(`memory ${spec.memoryBytes} bytes`);
    if ([...spec.mounts, ...spec.devices].some((m) => m.readOnly)) unenforced.push('read-only volumes');
    if (unenforced.length > 0) {
      this.log.warn({ taskId: spec.taskId, unenforced }, 'process runtime does not enforce these limits (no isolation)');
    }
  }
}
