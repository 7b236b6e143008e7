import * as grpc from '@grpc/grpc-js';
import { decodeBackupResult, decodeRestoreResult } from '../../agent/data-mover-result';
import type { BackupVolumeResult, RestoreVolumeResult } from '../../agent/data-mover-types';
import { bearerMetadata } from '../../proto/berth/agent-auth';
import { loadAgentProto } from '../../proto/berth/load';
import type { AgentNodeClient } from '../../proto/berth/generated/berth/agent/v1/AgentNode';
import type { BackupVolumeRequest } from '../../proto/berth/generated/berth/agent/v1/BackupVolumeRequest';
import type { DataMoverProgress__Output } from '../../proto/berth/generated/berth/agent/v1/DataMoverProgress';
import type { ExecResponse__Output } from '../../proto/berth/generated/berth/agent/v1/ExecResponse';
import type { LogsResponse__Output } from '../../proto/berth/generated/berth/agent/v1/LogsResponse';
import type { DataMoverResult__Output } from '../../proto/berth/generated/berth/agent/v1/DataMoverResult';
import type { RestoreVolumeRequest } from '../../proto/berth/generated/berth/agent/v1/RestoreVolumeRequest';
import type { ExecSessionInput } from '../../proto/berth/generated/berth/agent/v1/ExecSessionInput';
import type { ExecSessionOutput__Output } from '../../proto/berth/generated/berth/agent/v1/ExecSessionOutput';
import type { ExecSessionStart } from '../../proto/berth/generated/berth/agent/v1/ExecSessionStart';
import type { TaskLogChunk__Output } from '../../proto/berth/generated/berth/agent/v1/TaskLogChunk';
import { PassThrough, type Readable } from 'node:stream';
import { CsiClient, type CsiTransport } from '../../volumes/csi-client/client';
import { CsiCallError } from '../../volumes/csi-client/errors';
import { AgentCallError } from './agent-call-error';
import { CSI_SLACK_MS, CSI_TIMEOUT_MS, EXEC_SLACK_MS, LOGS_DEADLINE_MS, MOVER_SILENCE_MS, RECONNECT_BACKOFF_MAX_MS } from './deadlines';

export interface ExecResult {
  exitCode: number;
  output: string;
}
export interface MoverProgress {
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
}

type Callback<T> = (err: grpc.ServiceError | null, res?: T) => void;

/**
 * The server's one link to one node's agent (AgentNode on the address the agent last reported): one
 * channel for every call, the node-service secret the agent made on each (the agent serves no one else), the deadlines of deadlines.ts, and failures as
 * AgentCallError (code from the catalogue, the gRPC status, the node). CSI calls forwarded through the
 * agent fail as CsiCallError instead, like direct CSI calls, since their callers branch on CSI statuses.
 * Made and replaced by NodeLinks; never closed by its users.
 */
export class NodeLink {
  private readonly client: AgentNodeClient;
  private readonly csiClients = new Map<string, CsiClient>();

  constructor(
    readonly nodeId: string,
    readonly address: string,
    private readonly secret: string | undefined,
  ) {
    const Ctl = loadAgentProto().berth.agent.v1.AgentNode;
    this.client = new Ctl(address, grpc.credentials.createInsecure(), { 'grpc.max_reconnect_backoff_ms': RECONNECT_BACKOFF_MAX_MS });
  }

  /** Whether this link presents `secret` (a node that joined again has another). */
  presents(secret: string | undefined): boolean {
    return this.secret === secret;
  }

  /** True once an attempt to connect failed: NodeLinks then starts afresh rather than wait out the backoff. */
  get failing(): boolean {
    return this.client.getChannel().getConnectivityState(false) === grpc.connectivityState.TRANSIENT_FAILURE;
  }

  /** A task's output as the agent's runtime keeps it (`tail` 0: everything; `sinceMs` 0: from the start). */
  async logs(taskId: string, tail = 0, sinceMs = 0): Promise<string> {
    const res = await this.unary<LogsResponse__Output>(`cannot read logs of ${taskId} from node ${this.nodeId}`, LOGS_DEADLINE_MS, (md, options, done) =>
      this.client.Logs({ taskId, tail, sinceUnixMs: String(sinceMs) }, md, options, done),
    );
    return res.logs;
  }

  /**
   * Runs a command inside a task where it runs. Rejects when the agent cannot be reached or the task is
   * not running there; a command that ran and failed resolves with its exit code and output.
   */
  async exec(taskId: string, command: readonly string[], timeoutMs: number): Promise<ExecResult> {
    const res = await this.unary<ExecResponse__Output>(
      `cannot run ${JSON.stringify(command)} in ${taskId} on node ${this.nodeId}`,
      timeoutMs + EXEC_SLACK_MS,
      (md, options, done) => this.client.Exec({ taskId, command: [...command], timeoutMs }, md, options, done),
    );
    return { exitCode: res.exitCode, output: res.output };
  }

  /**
   * Follows a task's output: resolves once the agent has begun (an unknown task rejects here), with the
   * output as a byte stream that ends when the task stops. Destroying the stream cancels the call, so a
   * reader that went away leaves nothing running on the agent.
   */
  followLogs(taskId: string, tail: number, sinceMs: number): Promise<Readable> {
    const what = `cannot follow logs of ${taskId} on node ${this.nodeId}`;
    return new Promise((resolve, reject) => {
      const call = this.client.FollowTaskLogs({ taskId, tail, sinceUnixMs: String(sinceMs) }, bearerMetadata(this.secret));
      const out = new PassThrough();
      let started = false;
      const begin = () => {
        if (started) return;
        started = true;
        resolve(out);
      };
      call.on('data', (chunk: TaskLogChunk__Output) => {
        begin();
        // A slow reader holds the agent back rather than the server's memory.
        if (chunk.data.length > 0 && !out.write(chunk.data)) {
          call.pause();
          out.once('drain', () => call.resume());
        }
      });
      call.on('end', () => {
        begin();
        out.end();
      });
      call.on('error', (e: grpc.ServiceError) => {
        if (out.destroyed) return;
        const error = this.failure(what, e);
        if (started) out.destroy(error);
        else reject(error);
      });
      out.on('close', () => call.cancel());
    });
  }

  /**
   * Starts an operator's command in a task: resolves once it runs (the agent's first, empty answer), with
   * the session's stream, paused (resume it once listening); a task that is not there or not running
   * rejects. Cancelling the stream kills the command on the agent.
   */
  execSession(start: ExecSessionStart): Promise<grpc.ClientDuplexStream<ExecSessionInput, ExecSessionOutput__Output>> {
    const what = `cannot run ${JSON.stringify(start.command)} in ${start.taskId} on node ${this.nodeId}`;
    return new Promise((resolve, reject) => {
      const call = this.client.ExecSession(bearerMetadata(this.secret));
      // Paused until the caller listens: nothing it is sent is lost in between.
      const first = () => {
        call.off('error', failed);
        call.pause();
        resolve(call);
      };
      const failed = (e: grpc.ServiceError) => {
        call.off('data', first);
        reject(this.failure(what, e));
      };
      call.once('data', first);
      call.once('error', failed);
      call.write({ start });
    });
  }

  /** Moves one snapshot into the repository on this node. `signal` cancels the call (the agent then aborts and cleans up). */
  backupVolume(
    request: BackupVolumeRequest,
    onProgress: (p: MoverProgress) => void,
    signal?: AbortSignal,
    silenceMs = MOVER_SILENCE_MS,
  ): Promise<BackupVolumeResult> {
    return this.mover(
      'BackupVolume',
      (md) => this.client.BackupVolume(request, md),
      (r) => decodeBackupResult(r.backup),
      onProgress,
      signal,
      silenceMs,
    );
  }

  /** Writes one backed-up volume into a volume provisioned on this node. */
  restoreVolume(
    request: RestoreVolumeRequest,
    onProgress: (p: MoverProgress) => void,
    signal?: AbortSignal,
    silenceMs = MOVER_SILENCE_MS,
  ): Promise<RestoreVolumeResult> {
    return this.mover(
      'RestoreVolume',
      (md) => this.client.RestoreVolume(request, md),
      (r) => decodeRestoreResult(r.restore),
      onProgress,
      signal,
      silenceMs,
    );
  }

  /**
   * A CsiClient transport for one plugin registered on this node: each call travels, serialized,
   * through the agent (AgentNode.CsiCall), which hands it to the plugin and returns the plugin's answer
   * or status unchanged — how the server reaches the controller of a node-local plugin, whose unix
   * socket only this node can open. Same protocol, same bytes as a direct call; only the hop differs.
   */
  csiTransport(plugin: string, label = this.csiLabel(plugin)): CsiTransport {
    return (methodPath, request, timeoutMs) =>
      new Promise((resolve, reject) => {
        const method = methodPath.slice(methodPath.lastIndexOf('/') + 1);
        this.client.CsiCall(
          { plugin, methodPath, request, timeoutMs },
          bearerMetadata(this.secret),
          { deadline: Date.now() + timeoutMs + CSI_SLACK_MS },
          (err, res) => {
            if (err) reject(new CsiCallError(label, method, err.code, err.details || err.message));
            else resolve(res!.response);
          },
        );
      });
  }

  /** The CSI client of a plugin on this node, through the agent; one per plugin for the life of this link. */
  csiClient(plugin: string): CsiClient {
    let c = this.csiClients.get(plugin);
    if (!c) {
      const label = this.csiLabel(plugin);
      c = new CsiClient(label, { timeoutMs: CSI_TIMEOUT_MS, transport: this.csiTransport(plugin, label) });
      this.csiClients.set(plugin, c);
    }
    return c;
  }

  /** Calls already under way finish; new ones fail. */
  close(): void {
    for (const c of this.csiClients.values()) c.close();
    this.client.close();
  }

  private csiLabel(plugin: string): string {
    return `${plugin} on node ${this.nodeId}`;
  }

  private failure(what: string, e: grpc.ServiceError): AgentCallError {
    const reason = e.details || e.message;
    return new AgentCallError(this.nodeId, e.code, reason, `${what}: ${reason}`);
  }

  /** One unary call with the secret and a deadline `deadlineMs` from now; failures phrased as `what: <the agent's reason>`. */
  private unary<T>(what: string, deadlineMs: number, call: (md: grpc.Metadata, options: grpc.CallOptions, done: Callback<T>) => void): Promise<T> {
    return new Promise((resolve, reject) =>
      call(bearerMetadata(this.secret), { deadline: Date.now() + deadlineMs }, (err, res) => (err ? reject(this.failure(what, err)) : resolve(res!))),
    );
  }

  /**
   * One data-mover stream: progress to `onProgress`, then the decoded result of the final message. A call
   * silent for `silenceMs` fails UNAVAILABLE: its node lost power or its network, and waiting would hold
   * the backup — and the repository lock that blocks prune — forever.
   */
  private mover<T>(
    method: 'BackupVolume' | 'RestoreVolume',
    start: (md: grpc.Metadata) => grpc.ClientReadableStream<DataMoverProgress__Output>,
    decode: (r: DataMoverResult__Output) => T,
    onProgress: (p: MoverProgress) => void,
    signal: AbortSignal | undefined,
    silenceMs: number,
  ): Promise<T> {
    const what = `${method} on node ${this.nodeId}`;
    return new Promise<T>((resolve, reject) => {
      let result: T | undefined;
      const call = start(bearerMetadata(this.secret));
      const abort = () => call.cancel();
      signal?.addEventListener('abort', abort, { once: true });
      let silent = false;
      let watchdog: NodeJS.Timeout | undefined;
      const watch = () => {
        if (watchdog) clearTimeout(watchdog);
        watchdog = setTimeout(() => {
          silent = true;
          call.cancel();
        }, silenceMs);
      };
      const settle = () => {
        clearTimeout(watchdog);
        signal?.removeEventListener('abort', abort);
      };
      watch();
      call.on('data', (m: DataMoverProgress__Output) => {
        watch();
        onProgress({ bytesDone: Number(m.bytesDone), bytesTotal: Number(m.bytesTotal), filesDone: Number(m.filesDone) });
        if (!m.done) return;
        try {
          if (!m.result) throw new Error('no result');
          result = decode(m.result);
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          reject(new AgentCallError(this.nodeId, grpc.status.INTERNAL, reason, `${what} answered an unreadable result: ${reason}`));
        }
      });
      call.on('error', (e: grpc.ServiceError) => {
        settle();
        if (silent) {
          const reason = `no word from its agent for ${Math.round(silenceMs / 1000)} s; the node or its agent is gone`;
          reject(new AgentCallError(this.nodeId, grpc.status.UNAVAILABLE, reason, `${what}: ${reason}`));
        } else reject(this.failure(what, e));
      });
      call.on('end', () => {
        settle();
        if (result !== undefined) resolve(result);
        else reject(new AgentCallError(this.nodeId, grpc.status.INTERNAL, 'no result', `${what} ended without a result`));
      });
    });
  }
}
