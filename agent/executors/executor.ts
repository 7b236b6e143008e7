/**
 * The contract between the agent's task runner and a container runtime on one node.
 *
 * An executor is deliberately stateless from the agent's point of view: everything it knows about
 * the tasks it runs is recorded in the runtime itself (docker labels, or the process executor's
 * state files), so a restarted agent builds a fresh executor, calls `list()` and re-adopts whatever
 * is still running. Every mutating call is idempotent because the agent's reconcile loop may repeat
 * any of them after a crash.
 */

import type { StopPolicy, StopSignal } from '../../core/domain';

/** A host path made visible to the task. For the docker runtime: a bind mount or a device node. */
export interface PathMapping {
  /** Absolute path on the node (a NodePublishVolume target path, or /dev/loopN for block volumes). */
  readonly hostPath: string;
  /** Absolute path inside the task. */
  readonly containerPath: string;
  readonly readOnly: boolean;
}

export interface TaskSpec {
  /** Stable id of the task ("pg-0"): letters, digits, '_', '.', '-'; it names the container. */
  readonly taskId: string;
  readonly app: string;
  readonly instance: number;
  /** Image reference; required by the docker runtime, ignored by the process runtime. */
  readonly image?: string;
  /** argv. Empty means "the image's default command" (docker only). */
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly workingDir?: string;
  /** Filesystem volumes (published mount volumes). */
  readonly mounts: readonly PathMapping[];
  /** Raw block volumes, passed as device nodes. */
  readonly devices: readonly PathMapping[];
  /** CPU cores, fractional (0.5 = half a core). 0 = unlimited. */
  readonly cpu: number;
  /** Memory limit in bytes. 0 = unlimited. */
  readonly memoryBytes: number;
  /** Extra labels; keys starting with "berth." are reserved for the executor. */
  readonly labels: Readonly<Record<string, string>>;
  /**
   * How the task is stopped (docker: the container's stop signal and timeout). The process runtime
   * also stops what is left of an earlier run this way before it starts the task. Absent: SIGTERM, 30 s.
   */
  readonly stop?: StopPolicy;
  /**
   * Who the task runs as: a user name or "uid[:gid]". The process runtime resolves a name on this node;
   * docker in the image. Absent: the runtime's default (the agent's user; the image's USER).
   */
  readonly user?: string;
  /** A gid added to the task's supplementary groups (volume roots are given to it: Kubernetes' fsGroup). */
  readonly fsGroup?: number;
  /** Host ports the task holds on this node (docker publishes `containerPort` on each). Absent: none. */
  readonly ports?: readonly TaskPortMapping[];
  /** The node's address, passed as BERTH_NODE_ADDRESS when the task has ports. */
  readonly nodeAddress?: string;
}

export interface TaskPortMapping {
  readonly name: string;
  readonly hostPort: number;
  /** The port the container listens on (docker); the process runtime listens on `hostPort`. */
  readonly containerPort: number;
}

export type TaskState = 'running' | 'exited' | 'missing';

/** How to reach a task's ports: `host`, from inside the network namespace `netns` (a /proc/PID/ns/net path) when set. */
export interface TaskAddress {
  readonly host: string;
  readonly netns?: string;
}

export interface TaskStatus {
  readonly taskId: string;
  readonly state: TaskState;
  /** Set once the task has exited and the runtime knows its code (137 = killed by SIGKILL). */
  readonly exitCode?: number;
  /** ISO 8601 timestamps. */
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /** The runtime's own id: a container id, or "pid:<pid>" for a process. Empty when missing. */
  readonly runtimeId: string;
  /** App and instance as recorded in the runtime, so `list()` alone tells the agent what runs. */
  readonly app?: string;
  readonly instance?: number;
  /**
   * Process runtime: how many processes of the task still live although its main process has exited
   * (children that left its process group). The task must not be started again before they are gone.
   */
  readonly leftovers?: number;
  /** Something the agent should tell the operator about this start (e.g. what it had to stop first). */
  readonly message?: string;
  /** Docker runtime: the running container's address on the task network (other tasks and the node reach it there). */
  readonly address?: string;
}

export interface LogOptions {
  /** Only the last N lines; all lines when omitted. */
  readonly tail?: number;
  /** Only what was written since this time (Unix ms; the process runtime to about a second). */
  readonly sinceMs?: number;
}

/** An operator's command in a task (`berth exec`): what it is given, and where its output goes. */
export interface ExecSessionOptions {
  /** Run it on a terminal (stdout and stderr are then one stream, on stdout). */
  readonly tty: boolean;
  /** Keep its stdin open for `write`; else it reads end-of-file. */
  readonly stdin: boolean;
  /** The terminal's size, when `tty`. */
  readonly cols?: number;
  readonly rows?: number;
  readonly onStdout: (data: Buffer) => void;
  readonly onStderr: (data: Buffer) => void;
}

export interface ExecSession {
  write(data: Buffer): void;
  closeStdin(): void;
  resize(cols: number, rows: number): void;
  /** Kills the command (its caller went away). */
  kill(): void;
  /** Its exit code once it has exited and its output has been delivered (killed by signal N: 128 + N). */
  readonly exit: Promise<number>;
}

export interface ExecResult {
  readonly exitCode: number;
  /** stdout and stderr interleaved, as text. */
  readonly output: string;
}

export interface ExecOptions {
  /** Give up after this long (the command is killed); default 60 s. */
  readonly timeoutMs?: number;
}

export type ExecutorKind = 'docker' | 'process';

export interface Executor {
  readonly kind: ExecutorKind;
  /**
   * Starts the task. If a task with this id already runs, returns its status unchanged (the spec is
   * not compared: rolling a changed spec is the agent's job, via stop + remove + start). If it exists
   * but has exited, it is removed and started fresh; if it was prepared with this spec, it is started.
   */
  start(spec: TaskSpec): Promise<TaskStatus>;
  /**
   * Optional: readies the task without starting it (docker: creates the container), so a `start` with
   * the same spec soon after is quicker. A `start` with another spec replaces what was prepared.
   */
  prepare?(spec: TaskSpec): Promise<void>;
  /** Status of one task; `state: 'missing'` when the runtime has no such task. */
  status(taskId: string): Promise<TaskStatus>;
  /** Every task this executor owns on this node, discovered from the runtime (not from memory). */
  list(): Promise<TaskStatus[]>;
  /**
   * `signal` (default SIGTERM), then SIGKILL after `graceSeconds`; resolves once every process of the
   * task is gone. A missing or already-exited task is not an error.
   */
  stop(taskId: string, graceSeconds: number, signal?: StopSignal): Promise<void>;
  /** Forgets the task (kills it first if it still runs). A missing task is not an error. */
  remove(taskId: string): Promise<void>;
  /** The task's output (stdout and stderr interleaved). @throws TaskNotFoundError */
  logs(taskId: string, options?: LogOptions): Promise<string>;
  /**
   * Calls `write` at once with what `options` selects of what the task wrote (possibly nothing: the
   * follow has begun), then with what it writes from now on, until it is no longer running or `signal`
   * aborts. @throws TaskNotFoundError
   */
  followLogs?(taskId: string, options: LogOptions, write: (data: Buffer) => Promise<void>, signal: AbortSignal): Promise<void>;
  /** Drops the task's kept output: the task is gone for good (runtimes whose output goes with `remove` need not). */
  removeLogs?(taskId: string): Promise<void>;
  /** Starts an operator's command in the running task, streaming. @throws TaskNotRunningError */
  startExec?(taskId: string, command: readonly string[], options: ExecSessionOptions): Promise<ExecSession>;
  /** Runs a command inside the running task (backup hooks). @throws TaskNotRunningError */
  exec(taskId: string, command: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /**
   * Where this node reaches the task's ports (health checks): the container's address on its network
   * for docker, or its network namespace when it has no address the node can route to; absent for
   * runtimes whose tasks share the node's network (127.0.0.1).
   * @throws TaskNotRunningError
   */
  address?(taskId: string): Promise<TaskAddress>;
  /** Resolves with the exit status once the task exits (immediately if it already has). */
  waitExit?(taskId: string): Promise<TaskStatus>;
}
