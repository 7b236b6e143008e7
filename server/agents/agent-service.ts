import * as grpc from '@grpc/grpc-js';
import { Logger } from 'pino';
import { assertListenAllowed, tokenAccepted } from '../../proto/berth/agent-auth';
import { loadAgentProto } from '../../proto/berth/load';
import type { SyncRequest__Output } from '../../proto/berth/generated/berth/agent/v1/SyncRequest';
import type { SyncResponse } from '../../proto/berth/generated/berth/agent/v1/SyncResponse';

/** `cancelled` aborts when the agent gives up the call (it cut a long poll short to send fresh reports). */
export type SyncHandler = (request: SyncRequest__Output, cancelled: AbortSignal) => Promise<SyncResponse>;

/** Serves the AgentControl gRPC service; each Sync is handed to the server's node/task bookkeeping. */
export async function serveAgentControl(listen: string, handler: SyncHandler, log: Logger, token?: string): Promise<{ port: number; stop(): Promise<void> }> {
  assertListenAllowed(listen, token, 'the agent endpoint');
  const server = new grpc.Server();
  server.addService(loadAgentProto().berth.agent.v1.AgentControl.service, {
    Sync: (call: grpc.ServerUnaryCall<SyncRequest__Output, SyncResponse>, callback: grpc.sendUnaryData<SyncResponse>) => {
      if (!tokenAccepted(token, call.metadata)) {
        callback({ code: grpc.status.UNAUTHENTICATED, details: 'missing or wrong token' } as grpc.ServiceError);
        return;
      }
      if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(call.request.nodeId)) {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: `invalid node id ${JSON.stringify(call.request.nodeId)}` } as grpc.ServiceError);
        return;
      }
      // A cancelled long poll must stop waiting: otherwise every cut-short poll lingers until its deadline,
      // and each change of desired state is computed again for every one of them.
      const cancelled = new AbortController();
      // grpc-js reports every stream's close as a cancel, answered ones included: aborting then would only
      // build an AbortError nobody reads, for every Sync.
      let answered = false;
      call.on('cancelled', () => {
        if (!answered) cancelled.abort();
      });
      handler(call.request, cancelled.signal).then(
        (res) => {
          answered = true;
          callback(null, res);
        },
        (err: unknown) => {
          answered = true;
          log.error({ err, node: call.request.nodeId }, 'agent sync failed');
          callback({ code: grpc.status.INTERNAL, details: err instanceof Error ? err.message : String(err) } as grpc.ServiceError);
        },
      );
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(listen, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return {
    port,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
