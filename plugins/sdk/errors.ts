import { status } from '@grpc/grpc-js';

/**
 * An error that carries the gRPC status code a CSI caller must see. Handlers throw these; the request
 * wrapper turns them into gRPC errors. Anything else thrown becomes INTERNAL (and its cause is logged).
 */
export class CsiError extends Error {
  constructor(readonly code: status, message: string, readonly details?: Record<string, unknown>) {
    super(message);
    this.name = 'CsiError';
  }
}

export const invalidArgument = (msg: string) => new CsiError(status.INVALID_ARGUMENT, msg);
export const notFound = (msg: string) => new CsiError(status.NOT_FOUND, msg);
export const alreadyExists = (msg: string) => new CsiError(status.ALREADY_EXISTS, msg);
export const aborted = (msg: string) => new CsiError(status.ABORTED, msg);
export const failedPrecondition = (msg: string) => new CsiError(status.FAILED_PRECONDITION, msg);
export const resourceExhausted = (msg: string) => new CsiError(status.RESOURCE_EXHAUSTED, msg);
export const outOfRange = (msg: string) => new CsiError(status.OUT_OF_RANGE, msg);
export const unimplemented = (msg: string) => new CsiError(status.UNIMPLEMENTED, msg);
export const internal = (msg: string) => new CsiError(status.INTERNAL, msg);
export const unavailable = (msg: string) => new CsiError(status.UNAVAILABLE, msg);

export function isCsiError(e: unknown): e is CsiError {
  return e instanceof CsiError;
}
