import * as grpc from '@grpc/grpc-js';
import { Logger } from 'pino';
import { secretsEqual } from '../../lib/auth/secrets';
import { bearerOf } from '../../proto/berth/agent-auth';
import { loadAgentProto } from '../../proto/berth/load';
import type { JoinRequest__Output } from '../../proto/berth/generated/berth/agent/v1/JoinRequest';
import type { JoinResponse } from '../../proto/berth/generated/berth/agent/v1/JoinResponse';
import type { SyncRequest__Output } from '../../proto/berth/generated/berth/agent/v1/SyncRequest';
import type { SyncResponse } from '../../proto/berth/generated/berth/agent/v1/SyncResponse';
import type { EndpointsRequest__Output } from '../../proto/berth/generated/berth/agent/v1/EndpointsRequest';
import type { EndpointsResponse } from '../../proto/berth/generated/berth/agent/v1/EndpointsResponse';
import { JoinRefused, type NodeCredentials } from './node-credentials';

/** `cancelled` aborts when the agent gives up the call (it cut a long poll short to send fresh reports). */
export type SyncHandler = (request: SyncRequest__Output, cancelled: AbortSignal) => Promise<SyncResponse>;
/** Answers an agent's Endpoints long poll; `cancelled` aborts when the agent gives the call up. */
export type EndpointsHandler = (request: EndpointsRequest__Output, cancelled: AbortSignal) => Promise<EndpointsResponse>;

export interface AgentAuth {
  /** The token a node joins with. */
  joinToken: string;
  nodes: Pick<NodeCredentials, 'join' | 'verify'>;
}

const NODE_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

function refuse(callback: grpc.sendUnaryData<never>, code: grpc.status, details: string): void {
  callback({ code, details } as grpc.ServiceError);
}

/** Why a call naming `nodeId` with the node secret it carries is refused, or undefined when it is that node's. */
function nodeCallProblem(auth: AgentAuth, nodeId: string, md: grpc.Metadata): { code: grpc.status; details: string } | undefined {
  if (!NODE_ID.test(nodeId)) return { code: grpc.status.INVALID_ARGUMENT, details: `invalid node id ${JSON.stringify(nodeId)}` };
  const known = auth.nodes.verify(nodeId, bearerOf(md));
  if (known === true) return undefined;
  return {
    code: grpc.status.UNAUTHENTICATED,
    details:
      known === undefined ? `node ${nodeId} has not joined: its agent joins with the join token first` : `missing or wrong node secret for node ${nodeId}`,
  };
}

/**
 * Runs `handler` for a node's call, with a signal that aborts when the agent gives the call up.
 * grpc-js reports every stream's close as a cancel, answered ones included: aborting then would only
 * build an AbortError nobody reads, for every call.
 */
function answerNodeCall<Req, Res>(
  call: grpc.ServerUnaryCall<Req, Res>,
  callback: grpc.sendUnaryData<Res>,
  handler: (request: Req, cancelled: AbortSignal) => Promise<Res>,
  onError: (err: unknown) => void,
): void {
  const cancelled = new AbortController();
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
      onError(err);
      callback({ code: grpc.status.INTERNAL, details: err instanceof Error ? err.message : String(err) } as grpc.ServiceError);
    },
  );
}

/**
 * Serves the AgentControl gRPC service. Join takes the join token and registers a node's credentials;
 * Sync takes the node secret of the node it names, and only then is handed to the server's node/task
 * bookkeeping — a refused Sync changes nothing, not even when the node was last heard from.
 * Endpoints (discovery, for the agents' DNS) takes the same node secret.
 */
export async function serveAgentControl(
  listen: string,
  handler: SyncHandler,
  auth: AgentAuth,
  log: Logger,
  endpoints?: EndpointsHandler,
): Promise<{ port: number; stop(): Promise<void> }> {
  const server = new grpc.Server();
  server.addService(loadAgentProto().berth.agent.v1.AgentControl.service, {
    Join: (call: grpc.ServerUnaryCall<JoinRequest__Output, JoinResponse>, callback: grpc.sendUnaryData<JoinResponse>) => {
      if (!secretsEqual(auth.joinToken, bearerOf(call.metadata))) {
        refuse(callback, grpc.status.UNAUTHENTICATED, "missing or wrong join token (the server's <data-dir>/join-token)");
        return;
      }
      const { nodeId, nodeServiceSecret } = call.request;
      if (!NODE_ID.test(nodeId)) {
        refuse(callback, grpc.status.INVALID_ARGUMENT, `invalid node id ${JSON.stringify(nodeId)}`);
        return;
      }
      auth.nodes.join(nodeId, nodeServiceSecret).then(
        (nodeSecret) => {
          log.info({ node: nodeId }, 'node joined');
          callback(null, { nodeSecret });
        },
        (err: unknown) => {
          if (err instanceof JoinRefused) refuse(callback, grpc.status.PERMISSION_DENIED, err.message);
          else {
            log.error({ err, node: nodeId }, 'node join failed');
            refuse(callback, grpc.status.INTERNAL, err instanceof Error ? err.message : String(err));
          }
        },
      );
    },
    Sync: (call: grpc.ServerUnaryCall<SyncRequest__Output, SyncResponse>, callback: grpc.sendUnaryData<SyncResponse>) => {
      const { nodeId } = call.request;
      const problem = nodeCallProblem(auth, nodeId, call.metadata);
      if (problem) return refuse(callback, problem.code, problem.details);
      // A cancelled long poll must stop waiting: otherwise every cut-short poll lingers until its deadline,
      // and each change of desired state is computed again for every one of them.
      answerNodeCall(call, callback, handler, (err) => log.error({ err, node: nodeId }, 'agent sync failed'));
    },
    Endpoints: (call: grpc.ServerUnaryCall<EndpointsRequest__Output, EndpointsResponse>, callback: grpc.sendUnaryData<EndpointsResponse>) => {
      const { nodeId } = call.request;
      const problem = nodeCallProblem(auth, nodeId, call.metadata);
      if (problem) return refuse(callback, problem.code, problem.details);
      if (!endpoints) return refuse(callback, grpc.status.UNIMPLEMENTED, 'this server serves no endpoints');
      answerNodeCall(call, callback, endpoints, (err) => log.error({ err, node: nodeId }, 'agent endpoints call failed'));
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
