import * as grpc from '@grpc/grpc-js';
import { Logger } from 'pino';
import { bearerMatches } from '../proto/berth/agent-auth';
import { loadAgentProto } from '../proto/berth/load';
import type { AgentNodeHandlers } from '../proto/berth/generated/berth/agent/v1/AgentNode';
import type { Executor } from './executors/executor';
import { grpcStatusOf } from '../lib/errors/grpc-status';
import { forwardCsiCall } from './csi-forwarder';
import { execSession, followTaskLogs, logOptionsOf } from './node-operator-calls';
import { backupVolume, MoverProgress, restoreVolume } from './data-mover';
import { encodeBackupResult, encodeRestoreResult } from './data-mover-result';
import { MOVER_HEARTBEAT_MS } from './data-mover-types';
import type { DataMoverProgress } from '../proto/berth/generated/berth/agent/v1/DataMoverProgress';
import type { DataMoverResult } from '../proto/berth/generated/berth/agent/v1/DataMoverResult';
import type { CsiClient } from '../volumes/csi-client/client';

const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function fail(callback: (e: grpc.ServiceError) => void, code: grpc.status, details: string): void {
  callback({ code, details } as grpc.ServiceError);
}

/** A failed call's answer: the status of the error's code (lib/errors/grpc-status.ts, INTERNAL for a bug) and its message. */
function failWith(callback: (e: grpc.ServiceError) => void, error: unknown): void {
  fail(callback, grpcStatusOf(error), error instanceof Error ? error.message : String(error));
}

export interface AgentNodeDeps {
  /** The client of a plugin registered on this node, by CSI driver name (undefined: not registered). */
  csiClientFor: (plugin: string) => CsiClient | undefined;
  /** The agent's state directory (the data mover attaches volumes under `<stateDir>/mover`). */
  stateDir: string;
  /** Tests: the data mover always reads through a temporary volume. */
  forceGenericPath?: boolean;
}

/** How often progress goes out on a data-mover stream. */
const PROGRESS_EVERY_MS = 250;

/**
 * Runs one data-mover operation on a server stream: progress at most every PROGRESS_EVERY_MS, then a
 * final message with the result, or the error as the gRPC status of its code, its message keeping the
 * volume and file names (a wrong passphrase FAILED_PRECONDITION, an unknown backup NOT_FOUND, a damaged
 * repository DATA_LOSS; a plugin's status unchanged). A cancelled call aborts the operation.
 */
function streamMover(
  call: grpc.ServerWritableStream<unknown, DataMoverProgress>,
  log: Logger,
  what: string,
  work: (onProgress: (p: MoverProgress) => void, signal: AbortSignal) => Promise<DataMoverResult>,
): void {
  const controller = new AbortController();
  call.on('cancelled', () => controller.abort());
  let last = 0;
  let latest: MoverProgress = { bytesDone: 0, bytesTotal: 0, filesDone: 0 };
  const send = (p: MoverProgress, extra: Partial<DataMoverProgress> = {}) =>
    call.write({
      bytesDone: String(p.bytesDone),
      bytesTotal: String(p.bytesTotal),
      filesDone: String(p.filesDone),
      ...extra,
    });
  const onProgress = (p: MoverProgress) => {
    latest = p;
    if (Date.now() - last < PROGRESS_EVERY_MS || controller.signal.aborted) return;
    last = Date.now();
    send(p);
  };
  // Steps without progress (CreateVolume from a snapshot, a final sync) can take minutes: the latest
  // progress is repeated meanwhile, so the server tells a slow step from a node that is gone.
  const heartbeat = setInterval(() => {
    if (!controller.signal.aborted && Date.now() - last >= MOVER_HEARTBEAT_MS) {
      last = Date.now();
      send(latest);
    }
  }, MOVER_HEARTBEAT_MS);
  work(onProgress, controller.signal)
    .finally(() => clearInterval(heartbeat))
    .then(
      (result) => {
        send(latest, { done: true, result });
        call.end();
      },
      (error: unknown) => {
        const code = grpcStatusOf(error);
        const details = error instanceof Error ? error.message : String(error);
        log.warn({ err: details, code }, `${what} failed`);
        if (!controller.signal.aborted) call.emit('error', { code, details });
      },
    );
}

/** Serves AgentNode (logs, exec, operators' follow and exec sessions, data mover, CSI calls) on the agent's own address, for the server alone. */
export async function serveAgentNode(
  listen: string,
  executor: Executor,
  log: Logger,
  serviceSecret: string,
  deps: AgentNodeDeps,
): Promise<{ port: number; stop(): void }> {
  // Only the server has the secret (the agent named it when it joined): anyone else, even on this
  // host, would run commands in tasks and reach the plugins' controllers.
  const refused = (md: grpc.Metadata) => !bearerMatches(serviceSecret, md);
  const NOT_THE_SERVER = "only the Berth server may call an agent's node service: missing or wrong node-service secret";
  const handlers: AgentNodeHandlers = {
    Logs(call, callback) {
      if (refused(call.metadata)) {
        fail(callback, grpc.status.UNAUTHENTICATED, NOT_THE_SERVER);
        return;
      }
      const { taskId } = call.request;
      if (!TASK_ID.test(taskId)) {
        fail(callback, grpc.status.INVALID_ARGUMENT, `invalid task id ${JSON.stringify(taskId)}`);
        return;
      }
      executor.logs(taskId, logOptionsOf(call.request)).then(
        (logs) => callback(null, { logs }),
        (err: unknown) => failWith(callback, err),
      );
    },
    Exec(call, callback) {
      if (refused(call.metadata)) {
        fail(callback, grpc.status.UNAUTHENTICATED, NOT_THE_SERVER);
        return;
      }
      const { taskId, command, timeoutMs } = call.request;
      if (!TASK_ID.test(taskId)) {
        fail(callback, grpc.status.INVALID_ARGUMENT, `invalid task id ${JSON.stringify(taskId)}`);
        return;
      }
      if (command.length === 0) {
        fail(callback, grpc.status.INVALID_ARGUMENT, 'command is required');
        return;
      }
      log.info({ taskId, command }, 'exec in task');
      executor.exec(taskId, command, timeoutMs > 0 ? { timeoutMs } : {}).then(
        (r) => callback(null, { exitCode: r.exitCode, output: r.output }),
        (err: unknown) => failWith(callback, err),
      );
    },
    FollowTaskLogs(call) {
      if (refused(call.metadata)) {
        call.emit('error', { code: grpc.status.UNAUTHENTICATED, details: NOT_THE_SERVER });
        return;
      }
      followTaskLogs(call, executor);
    },
    ExecSession(call) {
      if (refused(call.metadata)) {
        call.emit('error', { code: grpc.status.UNAUTHENTICATED, details: NOT_THE_SERVER });
        return;
      }
      execSession(call, executor, log);
    },
    CsiCall(call, callback) {
      if (refused(call.metadata)) {
        fail(callback, grpc.status.UNAUTHENTICATED, NOT_THE_SERVER);
        return;
      }
      forwardCsiCall(call.request, deps.csiClientFor).then(
        (response) => callback(null, { response }),
        (err: unknown) => failWith(callback, err),
      );
    },
    BackupVolume(call) {
      if (refused(call.metadata)) {
        call.emit('error', { code: grpc.status.UNAUTHENTICATED, details: NOT_THE_SERVER });
        return;
      }
      const r = call.request;
      // Never the passphrase or secrets.
      log.info(
        { op: r.operationId, volume: r.volumeName, plugin: r.plugin, snapshot: r.snapshotId, parent: r.parentBackupId || undefined },
        'backing up a volume',
      );
      streamMover(call, log, 'backup of a volume', async (onProgress, signal) => ({
        backup: encodeBackupResult(await backupVolume(r, deps, onProgress, signal)),
      }));
    },
    RestoreVolume(call) {
      if (refused(call.metadata)) {
        call.emit('error', { code: grpc.status.UNAUTHENTICATED, details: NOT_THE_SERVER });
        return;
      }
      const r = call.request;
      log.info({ op: r.operationId, volume: r.volumeName, plugin: r.plugin, backup: r.backupId, target: r.volumeId }, 'restoring a volume');
      streamMover(call, log, 'restore of a volume', async (onProgress, signal) => ({
        restore: encodeRestoreResult(await restoreVolume(r, deps, onProgress, signal)),
      }));
    },
  };
  const server = new grpc.Server();
  server.addService(loadAgentProto().berth.agent.v1.AgentNode.service, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(listen, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { port, stop: () => server.forceShutdown() };
}
