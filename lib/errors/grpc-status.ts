import { status } from '@grpc/grpc-js';
import { BerthError } from './berth-error';
import type { ErrorCode } from './codes';

/**
 * Code → gRPC status: the one table for errors that leave a process over gRPC (CSI plugins through
 * the SDK, the agent's data mover). Kept out of index.ts so that the CLI does not load grpc-js.
 *
 * `conflict` is ABORTED (another operation or object is in the way; try again once it is done);
 * a repository that is missing, will not open with the passphrase or is of an unknown format is a
 * FAILED_PRECONDITION for a data mover — its request names a backup, the repository is the setting
 * it runs in; a damaged repository is DATA_LOSS.
 */
export const GRPC_STATUS: Readonly<Record<ErrorCode, status>> = {
  invalid_argument: status.INVALID_ARGUMENT,
  out_of_range: status.OUT_OF_RANGE,
  not_found: status.NOT_FOUND,
  already_exists: status.ALREADY_EXISTS,
  conflict: status.ABORTED,
  failed_precondition: status.FAILED_PRECONDITION,
  aborted: status.ABORTED,
  resource_exhausted: status.RESOURCE_EXHAUSTED,
  unauthenticated: status.UNAUTHENTICATED,
  permission_denied: status.PERMISSION_DENIED,
  cancelled: status.CANCELLED,
  deadline_exceeded: status.DEADLINE_EXCEEDED,
  unavailable: status.UNAVAILABLE,
  unimplemented: status.UNIMPLEMENTED,
  dependency_failed: status.UNKNOWN,
  internal: status.INTERNAL,
  unknown: status.UNKNOWN,
  repository_not_found: status.FAILED_PRECONDITION,
  repository_exists: status.ALREADY_EXISTS,
  wrong_passphrase: status.FAILED_PRECONDITION,
  unsupported_format: status.FAILED_PRECONDITION,
  repository_corrupt: status.DATA_LOSS,
  repository_locked: status.ABORTED,
};

/** The status an error leaves a gRPC server with: its code's, or INTERNAL for anything not thrown on purpose. */
export function grpcStatusOf(error: unknown): status {
  return error instanceof BerthError ? GRPC_STATUS[error.code] : status.INTERNAL;
}

/**
 * The code to read a gRPC status as, for an error that came back over gRPC (a call to an agent).
 * Not a second table: each status names the general code whose row answers it (DATA_LOSS has only
 * the damaged repository's; a data mover is what answers it).
 */
export function codeForGrpcStatus(s: status): ErrorCode {
  switch (s) {
    case status.INVALID_ARGUMENT:
      return 'invalid_argument';
    case status.OUT_OF_RANGE:
      return 'out_of_range';
    case status.NOT_FOUND:
      return 'not_found';
    case status.ALREADY_EXISTS:
      return 'already_exists';
    case status.FAILED_PRECONDITION:
      return 'failed_precondition';
    case status.ABORTED:
      return 'aborted';
    case status.RESOURCE_EXHAUSTED:
      return 'resource_exhausted';
    case status.UNAUTHENTICATED:
      return 'unauthenticated';
    case status.PERMISSION_DENIED:
      return 'permission_denied';
    case status.CANCELLED:
      return 'cancelled';
    case status.DEADLINE_EXCEEDED:
      return 'deadline_exceeded';
    case status.UNAVAILABLE:
      return 'unavailable';
    case status.UNIMPLEMENTED:
      return 'unimplemented';
    case status.INTERNAL:
      return 'internal';
    case status.DATA_LOSS:
      return 'repository_corrupt';
    default:
      return 'unknown';
  }
}
