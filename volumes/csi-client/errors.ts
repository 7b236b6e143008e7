import { status as GrpcStatus } from '@grpc/grpc-js';
import { BerthError } from '../../lib/errors/berth-error';
import { codeForGrpcStatus } from '../../lib/errors/grpc-status';

/**
 * A failed CSI call: which plugin, which method, the gRPC status and the plugin's message, in one readable
 * line ("berth.local CreateVolume: RESOURCE_EXHAUSTED: pool ssd has 40 bytes free…").
 *
 * An error of the catalogue like any other: its code is the one the status stands for (codeForGrpcStatus),
 * so each edge's table answers it without a case of its own — a gRPC edge with the very status the
 * plugin gave, since the tables read every status back as itself. `status` lets callers branch on the
 * statuses the CSI spec gives a meaning to (NOT_FOUND, ALREADY_EXISTS, ABORTED, …); `reason` is the
 * plugin's own words.
 */
export class CsiCallError extends BerthError {
  readonly codeName: string;

  constructor(
    readonly endpoint: string,
    readonly method: string,
    readonly status: GrpcStatus,
    readonly reason: string,
  ) {
    const codeName = GrpcStatus[status] ?? String(status);
    super(codeForGrpcStatus(status), `${method} on ${endpoint}: ${codeName}: ${reason}`, { context: { endpoint, method, grpcStatus: status } });
    this.codeName = codeName;
  }

  /** Worth retrying later: the plugin asked for it (ABORTED, UNAVAILABLE) or the deadline passed. */
  get retryable(): boolean {
    return this.status === GrpcStatus.ABORTED || this.status === GrpcStatus.UNAVAILABLE || this.status === GrpcStatus.DEADLINE_EXCEEDED;
  }
}
