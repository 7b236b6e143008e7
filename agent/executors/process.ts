/**
 * The process runtime: each task is a plain child process, for nodes without Docker.
 *
 * LIMITATIONS (by design — this runtime isolates little: a PID namespace and a private /tmp at most):
 * - No filesystem isolation and no path remapping. A volume is not mounted at its containerPath;
 *   the task learns where it is from BERTH_VOLUME_<NAME>=<hostPath> (NAME from the container path:
 *   "/data" → BERTH_VOLUME_DATA, "/var/lib/pg" → BERTH_VOLUME_VAR_LIB_PG; devices likewise as
 *   BERTH_DEVICE_<NAME>). The working directory is the workingDir mapped through the mounts when it
 *   lies inside one, else the first mount's host path, else the task's state directory.
 *   Read-only mounts and devices are NOT enforced.
 * - CPU limits are not enforced. Memory is not enforced either, unless the executor is built with
 *   `memoryLimit: 'rlimit-as'`, which caps the virtual address space with prlimit(1) — a coarse
 *   stand-in (runtimes that reserve large address spaces, e.g. the JVM or Go, fail under it).
 *   Either way the executor logs a warning when a spec asks for limits it does not enforce.
 * - `image` is ignored; the command must exist on the node.
 *
 * Identity: the task runs as the agent's user, or as `spec.user` resolved on this node (node-user.ts;
 * an unknown user fails the start with that reason), with fsGroup among its groups; and — where the
 * node allows it — in a PID and mount namespace of its own with a private /tmp (task-namespace.ts).
 *
 * How a task runs: `setsid`-style detached wrapper shell (`sh -c` below) that is the session and
 * process-group leader, runs the command in the foreground, and writes the command's exit code to
 * a file — so the code survives an agent restart, when the task is no longer our child. The wrapper
 * traps every stop signal (TERM/INT/HUP/QUIT/USR1/USR2; WINCH is ignored anyway) with a no-op handler: caught signals reset to default in the command on exec, so
 * the command still dies of SIGTERM, while the wrapper lives on long enough to record 143.
 *
 * One copy at a time: before it runs the command, the wrapper joins the task's cgroup (task-cgroups.ts),
 * which holds every process of the task from then on, and checks that its start token is still the
 * newest (process-state.ts). A start first writes a new token, then stops whatever is left in the
 * cgroup (an earlier run's children, or the wrapper of a start the agent crashed in the middle of),
 * and only then spawns: a wrapper of an older start either joined before that stop (and was stopped
 * with the rest) or finds the new token and exits without running anything. Without a writable cgroup
 * hierarchy the task's process group stands in (a warning says so): children that leave it are lost.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync, closeSync, existsSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, isAbsolute, join, relative } from 'node:path';
import pino, { Logger } from 'pino';
import { InvalidTaskSpecError, RuntimeError, TaskNotFoundError, TaskNotRunningError, TaskStartError } from './errors';
import { DEFAULT_STOP_POLICY } from '../../core/domain';
import type { StopSignal } from '../../core/domain';
import type { ExecOptions, ExecResult, ExecSession, ExecSessionOptions, Executor, LogOptions, PathMapping, TaskSpec, TaskStatus } from './executor';
import { isSameLiveProcess, processGroupMembers, readProcStat } from './proc-stat';
import { ProcessStateDir, ProcessTaskRecord } from './process-state';
import { spawnExecSession } from './process-exec-session';
import { DEFAULT_LOG_BOUNDS, type LogBounds, TaskLogFiles } from './task-log-files';
import { TaskCgroups } from './task-cgroups';
import { TaskQueue } from './task-queue';
import { resolveNodeUser } from './node-user';
import type { NodeUser } from './node-user';
import { asUser, enterCommand, isolatedCommand, namespaceInit, namespaceProblem, pathsToKeep } from './task-namespace';
import { portEnv, validateTaskId, validateTaskSpec, volumeEnvName } from './task-spec';

export interface ProcessExecutorOptions {
  /** Where task records and logs live; must survive agent restarts (not a tmpfs cleared on restart). */
  readonly stateDir: string;
  /** 'rlimit-as' caps virtual memory with prlimit(1); default 'none' (memoryBytes only logged). */
  readonly memoryLimit?: 'none' | 'rlimit-as';
  /**
   * The directory (inside a cgroup hierarchy) holding the tasks' cgroups; default: found from the
   * mounts (task-cgroups.ts). `false`: no cgroups, the process group stands in.
   */
  readonly cgroupRoot?: string | false;
  /**
   * Each task gets its own PID and mount namespace and a private /tmp, where unshare(1) works (else a
   * warning, and tasks share the agent's). Default on; `false`: never (tasks share the agent's).
   */
  readonly namespaces?: boolean;
  /**
   * Where the tasks' output is kept (default `<stateDir>/.logs`) and how much of it per task (default
   * 10 MiB × 3 files); see task-log-files.ts.
   */
  readonly logs?: { readonly dir?: string; readonly bounds?: LogBounds };
  readonly logger?: Logger;
}

/**
 * $1 the cgroup.procs file to join (empty: none), $2 this start's token, $3 the token file, $4 the
 * exit-code file; then the command. `read` and `echo` are builtins: nothing runs before the join.
 */
const WRAPPER = [
  'cgroup_procs=$1; token=$2; token_file=$3; exit_file=$4; shift 4',
  `if [ -n "$cgroup_procs" ] && ! echo $$ > "$cgroup_procs"; then echo "berth: could not join the task's cgroup ($cgroup_procs)" >&2; echo 125 > "$exit_file"; exit 125; fi`,
  // A newer start has begun (the agent lost this one in a crash): it owns the task now.
  'read newest < "$token_file" || newest=',
  '[ "$newest" = "$token" ] || exit 0',
  'trap ":" TERM INT HUP QUIT USR1 USR2; "$@"; echo $? > "$exit_file"',
].join('\n');
/** How long processes that SIGKILL did not end (stuck in the kernel, e.g. on a dead NFS server) are waited for before stop() fails. */
const KILL_WAIT_MS = 10_000;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const POLL_MS = 25;
/** How often the tasks' logs are checked against their bound (and `since` checkpoints taken). */
const LOG_MAINTENANCE_MS = 1000;
/** How often a follower looks for new output. */
const FOLLOW_POLL_MS = 200;

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

/**
 * What is left of a task's process group. Its id is the wrapper's pid, which cannot be reused while
 * the group has a member — unless the group emptied and a new process took the pid and leads a group
 * of its own: then nothing in that group is ours.
 */
function groupMembersOf(record: ProcessTaskRecord): number[] {
  const leader = readProcStat(record.pid);
  if (leader && leader.state !== 'Z' && leader.startTicks !== record.startTicks) return [];
  return processGroupMembers(record.pid);
}

export class ProcessExecutor implements Executor {
  readonly kind = 'process' as const;
  private readonly state: ProcessStateDir;
  private readonly log: Logger;
  /** Per-task queue: two concurrent start() calls must not both spawn (docker gets this from unique names). */
  private readonly queue = new TaskQueue();
  /** Undefined: no writable cgroup hierarchy; each task's process group stands in. */
  readonly cgroups?: TaskCgroups;
  /** Whether tasks get their own PID and mount namespace (and a private /tmp). */
  readonly namespaces: boolean;
  /** The tasks' output: kept across restarts of the task and the agent, bounded. */
  readonly logFiles: TaskLogFiles;

  constructor(private readonly options: ProcessExecutorOptions) {
    if (!isAbsolute(options.stateDir)) throw new InvalidTaskSpecError('stateDir', 'must be an absolute path');
    mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
    this.state = new ProcessStateDir(options.stateDir);
    this.log = options.logger ?? pino({ level: 'silent' });
    if (options.cgroupRoot !== false) {
      const { cgroups, problems } = TaskCgroups.open(options.stateDir, options.cgroupRoot);
      this.cgroups = cgroups;
      if (cgroups) this.log.debug({ cgroups: cgroups.root, version: cgroups.version }, 'process tasks run in their own cgroups');
      else
        this.log.warn(
          { problems },
          'no writable cgroup hierarchy: a process task is tracked by its process group only, so processes that leave it are neither stopped with the task nor found again',
        );
    }
    const problem = options.namespaces !== false ? namespaceProblem() : undefined;
    this.namespaces = options.namespaces !== false && problem === undefined;
    if (problem) this.log.warn({ problem }, "process tasks share the agent's PID namespace and /tmp: this node cannot give them their own");
    this.logFiles = new TaskLogFiles(options.logs?.dir ?? join(options.stateDir, '.logs'), options.logs?.bounds ?? DEFAULT_LOG_BOUNDS);
    // Never keeps the agent alive: the tasks and their output belong to the node.
    setInterval(() => this.maintainLogs(), LOG_MAINTENANCE_MS).unref();
  }

  /** Rotates what outgrew its bound; a failure on one task's logs is said and the others go on. */
  private maintainLogs(): void {
    for (const taskId of this.logFiles.taskIds()) {
      try {
        this.logFiles.maintain(taskId);
      } catch (error) {
        this.log.warn({ taskId, err: error }, 'cannot rotate the logs of a task');
      }
    }
  }

  async start(spec: TaskSpec): Promise<TaskStatus> {
    validateTaskSpec(spec);
    if (spec.command.length === 0) throw new InvalidTaskSpecError('command', 'the process runtime needs a command (there is no image default)');
    return this.queue.run(spec.taskId, () => this.startNow(spec));
  }

  private async startNow(spec: TaskSpec): Promise<TaskStatus> {
    const existing = this.state.read(spec.taskId);
    if (existing && this.alive(existing)) return this.statusOf(existing);
    let user: NodeUser | undefined;
    try {
      user = spec.user === undefined ? undefined : resolveNodeUser(spec.user, spec.fsGroup);
    } catch (error) {
      throw new TaskStartError(spec.taskId, (error as Error).message);
    }

    const taskDir = this.state.taskDir(spec.taskId);
    mkdirSync(taskDir, { recursive: true, mode: 0o700 });
    // Before anything is stopped: from here on, a wrapper of any earlier start runs nothing (see above).
    const token = randomBytes(12).toString('hex');
    this.state.writeStartToken(spec.taskId, token);
    const stop = spec.stop ?? DEFAULT_STOP_POLICY;
    const left = this.members(spec.taskId, existing);
    let message: string | undefined;
    if (left.length > 0) {
      message = `${left.length} process(es) of an earlier run were still running (pids ${left.join(', ')}); stopped them (${stop.signal}, ${stop.gracePeriodSeconds} s grace) before starting the task again`;
      this.log.warn({ taskId: spec.taskId, pids: left }, 'processes of an earlier run still running; stopping them before the start');
      await this.terminate(spec.taskId, existing, stop.gracePeriodSeconds, stop.signal);
    }
    this.state.clearRun(spec.taskId); // a fresh start gets no old exit code (its output is appended to the kept logs)

    const env = this.taskEnv(spec, user);
    const executable = resolveExecutable(spec.command[0], env.PATH);
    if (!executable) {
      this.forget(spec.taskId);
      throw new TaskStartError(spec.taskId, `executable ${JSON.stringify(spec.command[0])} not found in PATH ${env.PATH}`);
    }
    const cwd = (spec.workingDir && remapPath(spec.workingDir, spec.mounts)) ?? spec.workingDir ?? spec.mounts[0]?.hostPath ?? taskDir;
    if (!existsSync(cwd)) {
      this.forget(spec.taskId);
      throw new TaskStartError(spec.taskId, `working directory ${cwd} does not exist on this node`);
    }
    this.warnUnenforced(spec);

    const cgroupProcs = this.cgroups?.prepare(spec.taskId) ?? '';
    let command = [...spec.command];
    if (this.namespaces) {
      const stage = this.state.tmpStagePath(spec.taskId);
      mkdirSync(stage, { recursive: true, mode: 0o700 });
      const keep = pathsToKeep([...spec.mounts.map((m) => m.hostPath), ...spec.devices.map((d) => d.hostPath), cwd, env.HOME ?? '']);
      command = isolatedCommand(command, stage, keep, user);
    } else if (user) command = [...asUser(user), ...command];
    const argv = [
      '/bin/sh',
      '-c',
      WRAPPER,
      `berth-task:${spec.taskId}`,
      cgroupProcs,
      token,
      this.state.startTokenPath(spec.taskId),
      this.state.exitPath(spec.taskId),
      ...command,
    ];
    if (this.options.memoryLimit === 'rlimit-as' && spec.memoryBytes > 0) argv.unshift('prlimit', `--as=${spec.memoryBytes}`, '--');

    const logFd = this.logFiles.openForTask(spec.taskId);
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
      this.forget(spec.taskId);
      throw new TaskStartError(spec.taskId, (error as Error).message);
    } finally {
      closeSync(logFd);
    }
    // Returned once the wrapper is in the cgroup: a stop right after this start must reach it.
    if (cgroupProcs) await this.joined(spec.taskId, pid);
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
      ...(cgroupProcs ? { cgroup: true as const } : {}),
      ...(user ? { user } : {}),
      ...(this.namespaces ? { namespaces: true as const } : {}),
    };
    this.state.write(record);
    this.log.info({ taskId: spec.taskId, pid, cwd }, 'task started as a process');
    const status = this.statusOf(record);
    return message ? { ...status, message } : status;
  }

  async status(taskId: string): Promise<TaskStatus> {
    validateTaskId(taskId);
    const record = this.state.read(taskId);
    return record ? this.statusOf(record) : this.unrecorded(taskId);
  }

  async list(): Promise<TaskStatus[]> {
    const out: TaskStatus[] = [];
    const recorded = new Set<string>();
    for (const taskId of this.state.taskIds()) {
      try {
        const record = this.state.read(taskId);
        if (record) {
          out.push(this.statusOf(record));
          recorded.add(taskId);
        }
      } catch (error) {
        this.log.warn({ taskId, err: error }, 'unreadable task record; skipping');
      }
    }
    // Processes of a task without a record (the agent crashed between spawn and record, or while it
    // removed the task): listed, so the agent stops them or starts the task over them, never beside them.
    for (const taskId of this.cgroups?.taskIds() ?? []) {
      if (recorded.has(taskId)) continue;
      const status = this.unrecorded(taskId);
      if (status.state !== 'missing') out.push(status);
      else this.cgroups?.remove(taskId);
    }
    return out.sort((a, b) => a.taskId.localeCompare(b.taskId));
  }

  async stop(taskId: string, graceSeconds: number, signal: StopSignal = 'SIGTERM'): Promise<void> {
    validateTaskId(taskId);
    return this.queue.run(taskId, () => this.terminate(taskId, this.state.read(taskId), graceSeconds, signal));
  }

  /**
   * Stops every process of the task: `signal` to each, up to `graceSeconds` for all of them to exit,
   * then SIGKILL. Resolves only once none is left — its volumes may then be unpublished — and throws
   * when the kernel does not let them go.
   */
  private async terminate(taskId: string, record: ProcessTaskRecord | undefined, graceSeconds: number, signal: NodeJS.Signals): Promise<void> {
    const live = () => (record !== undefined && this.alive(record)) || this.members(taskId, record).length > 0;
    if (!live()) return;
    this.signalTask(taskId, record, signal);
    const deadline = Date.now() + Math.max(0, graceSeconds) * 1000;
    while (live() && Date.now() < deadline) await sleep(POLL_MS);
    if (!live()) return;
    this.log.warn({ taskId, graceSeconds, signal }, `task still running ${graceSeconds} s after ${signal}; killing it`);
    const killUntil = Date.now() + KILL_WAIT_MS;
    while (live() && Date.now() < killUntil) {
      this.killTask(taskId, record);
      await sleep(POLL_MS);
    }
    if (record && !this.state.readExit(taskId)) this.state.write({ ...record, killedAt: new Date().toISOString() });
    const left = this.members(taskId, record);
    if (live()) {
      throw new RuntimeError(
        'stop',
        taskId,
        `${left.length} process(es) still alive ${KILL_WAIT_MS / 1000} s after SIGKILL (pids ${left.join(', ')}); stuck in the kernel?`,
      );
    }
  }

  async remove(taskId: string): Promise<void> {
    validateTaskId(taskId);
    return this.queue.run(taskId, async () => {
      await this.terminate(taskId, this.state.read(taskId), 0, 'SIGKILL');
      this.forget(taskId);
    });
  }

  async logs(taskId: string, options: LogOptions = {}): Promise<string> {
    validateTaskId(taskId);
    if (!this.state.read(taskId) && !this.logFiles.has(taskId)) throw new TaskNotFoundError(taskId);
    return this.logFiles.read(taskId, options).data.toString('utf8');
  }

  async followLogs(taskId: string, options: LogOptions, write: (data: Buffer) => Promise<void>, signal: AbortSignal): Promise<void> {
    validateTaskId(taskId);
    if (!this.state.read(taskId) && !this.logFiles.has(taskId)) throw new TaskNotFoundError(taskId);
    const first = this.logFiles.read(taskId, options);
    await write(first.data);
    let at = first.end;
    let running = true;
    while (!signal.aborted) {
      const next = this.logFiles.readFrom(taskId, at);
      at = next.end;
      if (next.data.length > 0) {
        await write(next.data);
        continue;
      }
      // Once it stopped, what it wrote last is read above before the follow ends.
      if (!running) return;
      const record = this.state.read(taskId);
      running = record !== undefined && this.alive(record);
      if (running) await sleep(FOLLOW_POLL_MS);
    }
  }

  async removeLogs(taskId: string): Promise<void> {
    validateTaskId(taskId);
    this.logFiles.remove(taskId);
  }

  async startExec(taskId: string, command: readonly string[], options: ExecSessionOptions): Promise<ExecSession> {
    const { argv, record } = this.execArgv(taskId, command);
    return spawnExecSession(taskId, argv, { ...record.env }, record.cwd, options);
  }

  /** argv running `command` as the task's user and, when it has them, in its namespaces: it sees the task's processes and /tmp. */
  private execArgv(taskId: string, command: readonly string[]): { argv: string[]; record: ProcessTaskRecord } {
    validateTaskId(taskId);
    if (command.length === 0) throw new InvalidTaskSpecError('exec.command', 'must not be empty');
    const record = this.state.read(taskId);
    if (!record) throw new TaskNotFoundError(taskId);
    if (!this.alive(record)) throw new TaskNotRunningError(taskId, 'exited');
    if (!record.namespaces) return { argv: [...asUser(record.user), ...command], record };
    const init = namespaceInit(this.members(taskId, record));
    if (init === undefined) throw new TaskNotRunningError(taskId, 'exited');
    return { argv: enterCommand(init, command, record.user), record };
  }

  async exec(taskId: string, command: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const { argv, record } = this.execArgv(taskId, command);
    const timeoutMs = options.timeoutMs ?? 60_000;
    return new Promise<ExecResult>((resolve, reject) => {
      // Same env and cwd as the task, so hooks see what the task sees.
      const child = spawn(argv[0] as string, argv.slice(1), { env: { ...record.env }, cwd: record.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
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
    const left = this.members(record.taskId, record).length;
    const leftovers = left > 0 ? { leftovers: left } : {};
    const exit = this.state.readExit(record.taskId);
    if (exit) return { ...base, ...leftovers, state: 'exited', exitCode: exit.code, finishedAt: exit.at };
    // No exit file: killed by SIGKILL (by stop(), the OOM killer, or a reboot) before the wrapper could write it.
    return { ...base, ...leftovers, state: 'exited', exitCode: record.killedAt ? 137 : undefined, finishedAt: record.killedAt };
  }

  /** A task with no record: missing, unless processes of it are still in its cgroup (never started as far as anyone knows). */
  private unrecorded(taskId: string): TaskStatus {
    const left = this.cgroups?.members(taskId).length ?? 0;
    return left > 0 ? { taskId, state: 'exited', runtimeId: `cgroup:${taskId}`, leftovers: left } : { taskId, state: 'missing', runtimeId: '' };
  }

  /** Whether the task's processes are found by its cgroup (else: by the process group its record names). */
  private inCgroup(record: ProcessTaskRecord | undefined): this is { cgroups: TaskCgroups } {
    return this.cgroups !== undefined && (record === undefined || record.cgroup === true);
  }

  /** Live processes of the task: its cgroup's members, or what is left of its process group. */
  private members(taskId: string, record: ProcessTaskRecord | undefined): number[] {
    if (this.inCgroup(record)) return this.cgroups.members(taskId);
    return record ? groupMembersOf(record) : [];
  }

  /** `signal` to every process of the task (the wrapper ignores it, and lives on to record the command's exit code). */
  private signalTask(taskId: string, record: ProcessTaskRecord | undefined, signal: NodeJS.Signals): void {
    if (this.inCgroup(record)) this.cgroups.signal(taskId, signal);
    else if (record && (this.alive(record) || groupMembersOf(record).length > 0)) this.signalGroup(record.pid, signal);
  }

  private killTask(taskId: string, record: ProcessTaskRecord | undefined): void {
    if (this.inCgroup(record)) this.cgroups.kill(taskId);
    else this.signalTask(taskId, record, 'SIGKILL');
  }

  /** Signals the task's process group; the wrapper is its leader, so -pid reaches the command and its children. */
  private signalGroup(pid: number, signal: NodeJS.Signals): void {
    try {
      process.kill(-pid, signal);
    } catch {
      /* group already empty */
    }
  }

  /** Waits (briefly) for the wrapper `pid` to join the task's cgroup, or to exit trying. */
  private async joined(taskId: string, pid: number): Promise<void> {
    const startTicks = readProcStat(pid)?.startTicks;
    for (let i = 0; i < 400; i++) {
      if (this.cgroups?.members(taskId).includes(pid) || !isSameLiveProcess(pid, startTicks)) return;
      await sleep(5);
    }
    this.log.warn({ taskId, pid }, 'the task has not joined its cgroup after 2 s');
  }

  /** Drops the task's state and its (empty) cgroup. */
  private forget(taskId: string): void {
    this.state.removeTask(taskId);
    this.cgroups?.remove(taskId);
  }

  private taskEnv(spec: TaskSpec, user: NodeUser | undefined): Record<string, string> {
    // The task's directory is the agent's (0700): another user gets its own home, else the (private) /tmp.
    const home = user ? (user.home ?? '/tmp') : this.state.taskDir(spec.taskId);
    // Not the agent's own environment: it may carry credentials the task must not see.
    const env: Record<string, string> = { PATH: process.env.PATH ?? DEFAULT_PATH, HOME: home, ...spec.env };
    env.BERTH_TASK_ID = spec.taskId;
    env.BERTH_APP = spec.app;
    env.BERTH_INSTANCE = String(spec.instance);
    for (const m of spec.mounts) env[volumeEnvName('BERTH_VOLUME_', m.containerPath)] = m.hostPath;
    for (const d of spec.devices) env[volumeEnvName('BERTH_DEVICE_', d.containerPath)] = d.hostPath;
    Object.assign(env, portEnv(spec, 'host'));
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
