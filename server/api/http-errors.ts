/**
 * The HTTP-flavoured names the route files use for catalogue errors (lib/errors). They carry a code,
 * not a status: the error handler (error-reply.ts) turns the code into the status by its one table.
 * Services import lib/errors directly; these remain until the routes do too.
 */
import { invalidArgument, unauthenticated, type FieldError } from '../../lib/errors';

export { conflict, notFound, unavailable } from '../../lib/errors';
export const badRequest = (message: string, errors?: FieldError[]) => invalidArgument(message, errors);
export const unauthorized = (message: string) => unauthenticated(message);
