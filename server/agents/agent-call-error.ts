import { status } from '@grpc/grpc-js';
import { BerthError } from '../../lib/errors';
import { codeForGrpcStatus } from '../../lib/errors/grpc-status';

/**
 * A call to a node's agent that failed: its code from the catalogue (read from the gRPC status), the
 * status itself for callers that branch on it (DATA_LOSS, the transient ones), the node, and the
 * agent's own words (`reason`) for callers that phrase the failure their way.
 */
export class AgentCallError extends BerthError {
  constructor(
    readonly nodeId: string,
    readonly status: status,
    readonly reason: string,
    message: string,
  ) {
    super(codeForGrpcStatus(status), message, { context: { node: nodeId, grpcStatus: status } });
  }
}
