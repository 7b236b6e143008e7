import * as grpc from '@grpc/grpc-js';
import { Logger } from 'pino';
import { assertListenAllowed, tokenAccepted } from '../proto/berth/agent-auth';
import { loadAgentProto } from '../proto/berth/load';
import type { AgentNodeHandlers } from '../proto/berth/generated/berth/agent/v1/AgentNode';
import type { Executor } from './executors/executor';
import { TaskNotFoundError, TaskNotRunningError } from './executors/errors';
import { CsiForwardError, forwardCsiCall } from './csi-forwarder';
import type { CsiClient } from '../volumes/csi-client/client';

const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function fail(callback: (e: grpc.ServiceError) => void, code: grpc.status, details: string): void {
  callback({ code, details } as grpc.ServiceError);
}

/** Serves AgentNode (task logs and exec) on the agent's own address for the server to call. */
export interface AgentNodeDeps {
  /** The client of a plugin registered on this node, by CSI driver name (undefined: not registered). */
  csiClientFor: (plugin: string) => CsiClient | undefined;
}

export async function serveAgentNode(listen: string, executor: Executor, log: Logger, token: string | undefined, deps: AgentNodeDeps): Promise<{ port: number; stop(): void }> {
  assertListenAllowed(listen, token, 'the agent node service');
  const handlers: AgentNodeHandlers = {
    Logs(call, callback) {
      if (!tokenAccepted(token, call.metadata)) { fail(callback, grpc.status.UNAUTHENTICATED, 'missing or wrong token'); return; }
      const { taskId, tail } = call.request;
      if (!TASK_ID.test(taskId)) { fail(callback, grpc.status.INVALID_ARGUMENT, `invalid task id ${JSON.stringify(taskId)}`); return; }
      executor.logs(taskId, tail > 0 ? { tail } : {}).then((logs) => callback(null, { logs }),
        (err: Error) => fail(callback, err instanceof TaskNotFoundError ? grpc.status.NOT_FOUND : grpc.status.INTERNAL, err.message));
    },
    Exec(call, callback) {
      if (!tokenAccepted(token, call.metadata)) { fail(callback, grpc.status.UNAUTHENTICATED, 'missing or wrong token'); return; }
      const { taskId, command, timeoutMs } = call.request;
      if (!TASK_ID.test(taskId)) { fail(callback, grpc.status.INVALID_ARGUMENT, `invalid task id ${JSON.stringify(taskId)}`); return; }
      if (command.length === 0) { fail(callback, grpc.status.INVALID_ARGUMENT, 'command is required'); return; }
      log.info({ taskId, command }, 'exec in task');
      executor.exec(taskId, command, timeoutMs > 0 ? { timeoutMs } : {}).then((r) => callback(null, { exitCode: r.exitCode, output: r.output }),
        (err: Error) => fail(callback, err instanceof TaskNotRunningError ? grpc.status.FAILED_PRECONDITION : grpc.status.INTERNAL, err.message));
    },
    CsiCall(call, callback) {
      if (!tokenAccepted(token, call.metadata)) { fail(callback, grpc.status.UNAUTHENTICATED, 'missing or wrong token'); return; }
      forwardCsiCall(call.request, deps.csiClientFor).then((response) => callback(null, { response }),
        (err: Error) => fail(callback, err instanceof CsiForwardError ? err.code : grpc.status.INTERNAL, err.message));
    },
    // Filled in by the data mover (agent/data-mover.ts); until then the RPCs answer UNIMPLEMENTED.
    BackupVolume(call) { call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'the data mover is not built into this agent' }); },
    RestoreVolume(call) { call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'the data mover is not built into this agent' }); },
  };
  const server = new grpc.Server();
  server.addService(loadAgentProto().berth.agent.v1.AgentNode.service, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(listen, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { port, stop: () => server.forceShutdown() };
}
