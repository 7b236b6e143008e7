/**
 * The docker runtime: one container per task, driven through dockerode on a unix socket.
 *
 * Everything the executor needs to know later is written onto the container as labels, so `list()`
 * after an agent restart finds running tasks without any local state. Containers are named
 * "berth-<taskId>"; a container with that name but without our label is never adopted or removed.
 */
import Docker from 'dockerode';
import type { ContainerCreateOptions, ContainerInspectInfo } from 'dockerode';
import pino, { Logger } from 'pino';
import { toCreateOptions, containerName } from './docker-spec';
import { demuxDockerStream, readAll } from './docker-stream';
import { dockerMessage, guard, httpStatus } from './docker-errors';
import {
  ForeignContainerError,
  ImageNotFoundError,
  InvalidTaskSpecError,
  RuntimeError,
  TaskNotFoundError,
  TaskNotRunningError,
  TaskStartError,
} from './errors';
import type { StopSignal } from '../../core/domain';
import type { ExecOptions, ExecResult, ExecSession, ExecSessionOptions, Executor, LogOptions, TaskAddress, TaskSpec, TaskStatus } from './executor';
import { PassThrough, Writable, type Duplex } from 'node:stream';
import { TaskQueue } from './task-queue';
import type { LogBounds } from './task-log-files';
import { LABEL_APP, LABEL_INSTANCE, LABEL_NODE, LABEL_SPEC, LABEL_TASK, validateTaskId, validateTaskSpec } from './task-spec';

export interface DockerExecutorOptions {
  /** dockerd's API socket, e.g. /var/run/docker.sock. */
  readonly socketPath: string;
  /**
   * When set, containers are labelled berth.node=<nodeId> and `list()` only returns those: several
   * agents may then share one dockerd (tests, bench) without adopting each other's tasks.
   */
  readonly nodeId?: string;
  /**
   * Docker network mode for task containers: the task network's name (docker-network.ts, created by the
   * agent at start) or `none`; the daemon's default when omitted.
   */
  readonly networkMode?: string;
  /** How much of each task's output dockerd keeps (json-file); default 10 MiB × 3 files. */
  readonly logBounds?: LogBounds;
  readonly logger?: Logger;
}

const DOCKER_ZERO_TIME = '0001-01-01T00:00:00Z';

function timestamp(value: string | undefined): string | undefined {
  return value && value !== DOCKER_ZERO_TIME ? value : undefined;
}

/** The container's IPv4 address: on `network` when given (the task network), else on any network it has one. */
function containerAddress(info: ContainerInspectInfo, network?: string): string | undefined {
  const networks = info.NetworkSettings?.Networks ?? {};
  const on = network ? networks[network] : undefined;
  return on?.IPAddress || Object.values(networks).find((n) => n.IPAddress)?.IPAddress || undefined;
}

function toStatus(taskId: string, info: ContainerInspectInfo, network?: string): TaskStatus {
  const s = info.State;
  // Paused and restarting containers still hold their process: for the agent that is "running".
  const running = s.Running || s.Paused || s.Restarting;
  const finishedAt = running ? undefined : timestamp(s.FinishedAt);
  const instance = Number(info.Config.Labels?.[LABEL_INSTANCE]);
  return {
    taskId,
    state: running ? 'running' : 'exited',
    // A container that was created but never started has ExitCode 0 and no FinishedAt: no code to report.
    exitCode: !running && finishedAt ? s.ExitCode : undefined,
    startedAt: timestamp(s.StartedAt),
    finishedAt,
    runtimeId: info.Id,
    app: info.Config.Labels?.[LABEL_APP],
    instance: Number.isSafeInteger(instance) ? instance : undefined,
    address: running ? containerAddress(info, network) : undefined,
  };
}

/** The spec's image, once the spec is valid: the docker runtime needs one. */
function validImage(spec: TaskSpec): string {
  validateTaskSpec(spec);
  if (!spec.image) throw new InvalidTaskSpecError('image', 'the docker runtime needs an image');
  return spec.image;
}

/** A container created ahead by `prepare` (never started) with exactly the options a start would use. */
function isPrepared(info: ContainerInspectInfo, options: ContainerCreateOptions): boolean {
  return info.State.Status === 'created' && info.Config.Labels?.[LABEL_SPEC] === options.Labels?.[LABEL_SPEC];
}

function missing(taskId: string): TaskStatus {
  return { taskId, state: 'missing', runtimeId: '' };
}

export class DockerExecutor implements Executor {
  readonly kind = 'docker' as const;
  readonly docker: Docker;
  private readonly log: Logger;
  private readonly queue = new TaskQueue();

  constructor(private readonly options: DockerExecutorOptions) {
    this.docker = new Docker({ socketPath: options.socketPath });
    this.log = options.logger ?? pino({ level: 'silent' });
  }

  async start(spec: TaskSpec): Promise<TaskStatus> {
    const image = validImage(spec);
    return this.queue.run(spec.taskId, () =>
      this.guard('start', spec.taskId, async () => {
        const options = toCreateOptions(spec, image, this.options);
        const existing = await this.inspect(spec.taskId);
        let id: string | undefined;
        if (existing) {
          const current = toStatus(spec.taskId, existing, this.options.networkMode);
          if (current.state === 'running') return current;
          if (isPrepared(existing, options)) {
            id = existing.Id;
          } else {
            // Exited: a fresh container, so the new one gets the current spec and a clean writable layer.
            this.log.info({ taskId: spec.taskId, exitCode: current.exitCode }, 'removing exited container before restart');
            await this.removeContainer(existing.Id);
          }
        }
        id ??= await this.create(spec.taskId, image, options);
        try {
          await this.docker.getContainer(id).start();
        } catch (error) {
          if (httpStatus(error) !== 304) {
            // Start either succeeds or leaves nothing behind, so a retry begins from a clean slate.
            await this.removeContainer(id).catch(() => undefined);
            throw new TaskStartError(spec.taskId, dockerMessage(error));
          }
        }
        const info = await this.docker.getContainer(id).inspect();
        this.log.info({ taskId: spec.taskId, container: id.slice(0, 12) }, 'task started');
        return toStatus(spec.taskId, info, this.options.networkMode);
      }),
    );
  }

  /**
   * Creates the task's container without starting it, so that a later `start` with the same spec only
   * has to start it. A container the task already has is kept, unless it was never started and was
   * created with another spec.
   */
  async prepare(spec: TaskSpec): Promise<void> {
    const image = validImage(spec);
    await this.queue.run(spec.taskId, () =>
      this.guard('prepare', spec.taskId, async () => {
        const options = toCreateOptions(spec, image, this.options);
        const existing = await this.inspect(spec.taskId);
        if (existing) {
          if (existing.State.Status !== 'created' || isPrepared(existing, options)) return;
          await this.removeContainer(existing.Id);
        }
        await this.create(spec.taskId, image, options);
      }),
    );
  }

  /** docker create; the container's id. No separate image check: create answers 404 for a missing image, one round trip less per start. */
  private async create(taskId: string, image: string, options: ContainerCreateOptions): Promise<string> {
    try {
      return (await this.docker.createContainer(options)).id;
    } catch (error) {
      const code = httpStatus(error);
      if (code === 409) {
        // Another agent process created it first: adopt theirs rather than fail. dockerd reserves
        // the name before the container can be inspected, so give it a moment to appear.
        let again: ContainerInspectInfo | undefined;
        for (let i = 0; i < 40 && !again; i++) {
          again = await this.inspect(taskId);
          if (!again) await new Promise((r) => setTimeout(r, 25));
        }
        if (!again) throw new RuntimeError('start', taskId, dockerMessage(error));
        return again.Id;
      }
      if (code === 404) throw new ImageNotFoundError(image, taskId);
      if (code === 400 || code === 500) throw new TaskStartError(taskId, dockerMessage(error));
      throw error;
    }
  }

  async status(taskId: string): Promise<TaskStatus> {
    validateTaskId(taskId);
    return this.guard('status', taskId, async () => {
      const info = await this.inspect(taskId);
      return info ? toStatus(taskId, info, this.options.networkMode) : missing(taskId);
    });
  }

  async list(): Promise<TaskStatus[]> {
    return this.guard('list', '*', async () => {
      const label = [LABEL_TASK];
      if (this.options.nodeId) label.push(`${LABEL_NODE}=${this.options.nodeId}`);
      const summaries = await this.docker.listContainers({ all: true, filters: { label } });
      // The summary has no exit code or timestamps; inspecting each is cheap for one node's tasks.
      const statuses = await Promise.all(
        summaries.map(async (c) => {
          const taskId = c.Labels[LABEL_TASK];
          try {
            return toStatus(taskId, await this.docker.getContainer(c.Id).inspect(), this.options.networkMode);
          } catch (error) {
            if (httpStatus(error) === 404) return undefined; // removed while we listed
            throw error;
          }
        }),
      );
      return statuses.filter((s): s is TaskStatus => s !== undefined).sort((a, b) => a.taskId.localeCompare(b.taskId));
    });
  }

  /**
   * The signal is the container's StopSignal, set at create from the spec's stop policy (dockerd before
   * API 1.42 takes no signal with a stop); `signal` is for the runtimes that can send it at stop time.
   */
  async stop(taskId: string, graceSeconds: number, _signal?: StopSignal): Promise<void> {
    validateTaskId(taskId);
    await this.queue.run(taskId, () =>
      this.guard('stop', taskId, async () => {
        const info = await this.inspect(taskId);
        if (!info || toStatus(taskId, info).state !== 'running') return;
        try {
          await this.docker.getContainer(info.Id).stop({ t: Math.max(0, Math.round(graceSeconds)) });
        } catch (error) {
          const code = httpStatus(error);
          if (code !== 304 && code !== 404) throw error; // 304: already stopped; 404: already gone
        }
      }),
    );
  }

  async remove(taskId: string): Promise<void> {
    validateTaskId(taskId);
    await this.queue.run(taskId, () =>
      this.guard('remove', taskId, async () => {
        const info = await this.inspect(taskId);
        if (info) await this.removeContainer(info.Id);
      }),
    );
  }

  async logs(taskId: string, options: LogOptions = {}): Promise<string> {
    validateTaskId(taskId);
    return this.guard('logs', taskId, async () => {
      const info = await this.inspect(taskId);
      if (!info) throw new TaskNotFoundError(taskId);
      const raw = await this.docker.getContainer(info.Id).logs({
        stdout: true,
        stderr: true,
        follow: false,
        ...(options.tail !== undefined ? { tail: options.tail } : {}),
        ...(options.sinceMs !== undefined ? { since: Math.floor(options.sinceMs / 1000) } : {}),
      });
      return demuxDockerStream(raw);
    });
  }

  /** dockerd follows the container's json-file log; its stream ends when the container stops. */
  async followLogs(taskId: string, options: LogOptions, write: (data: Buffer) => Promise<void>, signal: AbortSignal): Promise<void> {
    validateTaskId(taskId);
    const stream = await this.guard('logs', taskId, async () => {
      const info = await this.inspect(taskId);
      if (!info) throw new TaskNotFoundError(taskId);
      return this.docker.getContainer(info.Id).logs({
        stdout: true,
        stderr: true,
        follow: true,
        ...(options.tail !== undefined ? { tail: options.tail } : {}),
        ...(options.sinceMs !== undefined ? { since: Math.floor(options.sinceMs / 1000) } : {}),
      });
    });
    const source = stream as NodeJS.ReadableStream & { destroy(): void };
    const out = new PassThrough();
    this.docker.modem.demuxStream(source, out, out);
    source.on('end', () => out.end());
    source.on('close', () => out.end());
    source.on('error', (error: Error) => out.destroy(error));
    const abort = () => {
      source.destroy();
      out.end();
    };
    signal.addEventListener('abort', abort, { once: true });
    try {
      await write(Buffer.alloc(0));
      for await (const chunk of out) {
        if (signal.aborted) break;
        await write(chunk as Buffer);
      }
    } finally {
      signal.removeEventListener('abort', abort);
      source.destroy();
    }
  }

  /** The task's container, which must be running for a command to run in it. */
  private async runningContainer(taskId: string): Promise<ContainerInspectInfo> {
    const info = await this.inspect(taskId);
    if (!info) throw new TaskNotFoundError(taskId);
    const state = toStatus(taskId, info).state;
    if (state !== 'running') throw new TaskNotRunningError(taskId, state);
    return info;
  }

  async startExec(taskId: string, command: readonly string[], options: ExecSessionOptions): Promise<ExecSession> {
    validateTaskId(taskId);
    if (command.length === 0) throw new InvalidTaskSpecError('exec.command', 'must not be empty');
    return this.guard('exec', taskId, async () => {
      const info = await this.runningContainer(taskId);
      const exec = await this.docker
        .getContainer(info.Id)
        .exec({ Cmd: [...command], AttachStdin: options.stdin, AttachStdout: true, AttachStderr: true, Tty: options.tty });
      const stream = (await exec.start({ hijack: true, stdin: options.stdin, Tty: options.tty })) as Duplex;
      const sink = (deliver: (data: Buffer) => void) =>
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            deliver(chunk);
            done();
          },
        });
      if (options.tty) stream.on('data', (c: Buffer) => options.onStdout(c));
      else this.docker.modem.demuxStream(stream, sink(options.onStdout), sink(options.onStderr));
      if (options.tty && options.cols && options.rows) await exec.resize({ h: options.rows, w: options.cols }).catch(() => undefined);
      const ended = new Promise<void>((resolve) => {
        stream.once('end', resolve);
        stream.once('close', resolve);
        stream.once('error', () => resolve());
      });
      const exit = ended.then(async () => {
        // The stream can end a moment before dockerd records the exit code.
        for (let i = 0; i < 100; i++) {
          const r = await exec.inspect();
          if (!r.Running && r.ExitCode !== null) return r.ExitCode;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        throw new RuntimeError('exec', taskId, 'dockerd never reported the exit code');
      });
      exit.catch(() => undefined);
      return {
        exit,
        write: (data: Buffer) => void stream.write(data),
        closeStdin: () => void stream.end(),
        resize: (cols: number, rows: number) => void exec.resize({ h: rows, w: cols }).catch(() => undefined),
        kill: () => {
          // The exec API has no kill: kill the exec'd process by its host pid (we run as root beside dockerd).
          void exec
            .inspect()
            .then(
              (r) => {
                if (r.Pid) process.kill(r.Pid, 'SIGKILL');
              },
              () => undefined,
            )
            .catch(() => undefined);
          stream.destroy();
        },
      };
    });
  }

  /**
   * The container's address on the task network (a bridge: this node routes to it, and no port needs
   * publishing); else — network `none` (`--docker-network none`) or the host's — 127.0.0.1 inside the
   * container's own network namespace.
   */
  async address(taskId: string): Promise<TaskAddress> {
    validateTaskId(taskId);
    return this.guard('address', taskId, async () => {
      const info = await this.inspect(taskId);
      if (!info || toStatus(taskId, info).state !== 'running') throw new TaskNotRunningError(taskId, info ? 'exited' : 'missing');
      const ip = containerAddress(info, this.options.networkMode);
      return ip ? { host: ip } : { host: '127.0.0.1', netns: `/proc/${info.State.Pid}/ns/net` };
    });
  }

  async exec(taskId: string, command: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    validateTaskId(taskId);
    if (command.length === 0) throw new InvalidTaskSpecError('exec.command', 'must not be empty');
    return this.guard('exec', taskId, async () => {
      const info = await this.runningContainer(taskId);
      const exec = await this.docker.getContainer(info.Id).exec({ Cmd: [...command], AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({ hijack: true, stdin: false });
      const timeoutMs = options.timeoutMs ?? 60_000;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new RuntimeError('exec', taskId, `${command.join(' ')} did not finish within ${timeoutMs} ms`)), timeoutMs);
      });
      let raw: Buffer;
      try {
        raw = await Promise.race([readAll(stream), timedOut]);
      } catch (error) {
        // The exec API has no kill: kill the exec'd process by its host pid (we run as root beside dockerd).
        const pid = (await exec.inspect().catch(() => undefined))?.Pid;
        if (pid) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
        (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
        throw error;
      } finally {
        clearTimeout(timer);
      }
      // The stream can end a moment before dockerd records the exit code.
      for (let i = 0; i < 50; i++) {
        const result = await exec.inspect();
        if (!result.Running && result.ExitCode !== null) return { exitCode: result.ExitCode, output: demuxDockerStream(raw) };
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new RuntimeError('exec', taskId, 'dockerd never reported the exit code');
    });
  }

  async waitExit(taskId: string): Promise<TaskStatus> {
    validateTaskId(taskId);
    return this.guard('wait', taskId, async () => {
      const info = await this.inspect(taskId);
      if (!info) return missing(taskId);
      await this.docker.getContainer(info.Id).wait();
      const after = await this.inspect(taskId);
      return after ? toStatus(taskId, after, this.options.networkMode) : missing(taskId);
    });
  }

  /** The task's container, or undefined. @throws ForeignContainerError when the name is taken by a non-Berth container. */
  private async inspect(taskId: string): Promise<ContainerInspectInfo | undefined> {
    const name = containerName(taskId);
    try {
      const info = await this.docker.getContainer(name).inspect();
      if (info.Config.Labels?.[LABEL_TASK] !== taskId) throw new ForeignContainerError(taskId, name);
      return info;
    } catch (error) {
      if (httpStatus(error) === 404) return undefined;
      throw error;
    }
  }

  private async removeContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true });
    } catch (error) {
      const code = httpStatus(error);
      // 404: gone already; 409: a removal is already in progress — both mean "it is going away".
      if (code !== 404 && code !== 409) throw error;
    }
  }

  private guard<T>(operation: string, taskId: string, fn: () => Promise<T>): Promise<T> {
    return guard(this.options.socketPath, operation, taskId, fn);
  }
}
