import { BerthError, type FieldError } from './berth-error';

/*
 * Shorthands for the general codes, for code that needs no subclass of its own:
 * `throw notFound(\`app ${name} not found\`)`.
 */
export const invalidArgument = (message: string, details?: readonly FieldError[]) => new BerthError('invalid_argument', message, { details });
export const outOfRange = (message: string) => new BerthError('out_of_range', message);
export const notFound = (message: string) => new BerthError('not_found', message);
export const alreadyExists = (message: string) => new BerthError('already_exists', message);
export const conflict = (message: string) => new BerthError('conflict', message);
export const failedPrecondition = (message: string) => new BerthError('failed_precondition', message);
export const aborted = (message: string) => new BerthError('aborted', message);
export const resourceExhausted = (message: string) => new BerthError('resource_exhausted', message);
export const unauthenticated = (message: string) => new BerthError('unauthenticated', message);
export const permissionDenied = (message: string) => new BerthError('permission_denied', message);
export const cancelled = (message: string) => new BerthError('cancelled', message);
export const unavailable = (message: string) => new BerthError('unavailable', message);
export const unimplemented = (message: string) => new BerthError('unimplemented', message);
export const dependencyFailed = (message: string) => new BerthError('dependency_failed', message);
export const internal = (message: string) => new BerthError('internal', message);
