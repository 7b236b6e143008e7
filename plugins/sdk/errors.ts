import { BerthError } from '../../lib/errors/berth-error';
import type { ErrorCode } from '../../lib/errors/codes';

/**
 * An error a CSI caller must see with its status. Handlers throw these; the request wrapper
 * (handler.ts) answers every BerthError with the status of its code (lib/errors/grpc-status.ts).
 * Anything else thrown becomes INTERNAL (and its cause is logged).
 */
export class CsiError extends BerthError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
  }
}

export const invalidArgument = (msg: string) => new CsiError('invalid_argument', msg);
export const notFound = (msg: string) => new CsiError('not_found', msg);
export const alreadyExists = (msg: string) => new CsiError('already_exists', msg);
export const aborted = (msg: string) => new CsiError('aborted', msg);
export const failedPrecondition = (msg: string) => new CsiError('failed_precondition', msg);
export const resourceExhausted = (msg: string) => new CsiError('resource_exhausted', msg);
export const outOfRange = (msg: string) => new CsiError('out_of_range', msg);
export const unimplemented = (msg: string) => new CsiError('unimplemented', msg);
export const internal = (msg: string) => new CsiError('internal', msg);
export const unavailable = (msg: string) => new CsiError('unavailable', msg);

export function isCsiError(e: unknown): e is CsiError {
  return e instanceof CsiError;
}
