import { BODY_TOO_LARGE } from './request-limits';
import { BerthError, codeForHttpStatus, HTTP_STATUS, type ErrorCode, type FieldError } from '../../lib/errors';

/** The body of every error answer: `code` from the catalogue, `errors` for field-level problems. */
export interface ErrorBody {
  message: string;
  code: ErrorCode;
  errors?: readonly FieldError[];
}

export interface ErrorReply {
  status: number;
  body: ErrorBody;
  /** A failure of the server (500), not of the request or of something it waits for: log it with its cause. */
  log: boolean;
}

/**
 * The one translation of a thrown error into an HTTP answer. A BerthError answers the status of its
 * code (HTTP_STATUS) with its message and details; fastify's own refusals (schema validation, body
 * too large) keep their 4xx with the code that status stands for; anything else is a 500 whose cause
 * is logged.
 */
export function errorReply(error: unknown): ErrorReply {
  if (error instanceof BerthError) {
    const status = HTTP_STATUS[error.code];
    // A broken invariant reads as one, as any other unexpected error does.
    const message = error.code === 'internal' ? `internal error: ${error.message}` : error.message;
    return { status, body: { message, code: error.code, errors: error.details }, log: status === 500 };
  }
  const fe = error as { validation?: unknown; statusCode?: number; message?: string } | null;
  if (fe && (fe.validation || (fe.statusCode && fe.statusCode < 500))) {
    const status = fe.statusCode ?? 400;
    // fastify's own words do not name the bound.
    const message = status === 413 ? BODY_TOO_LARGE : String(fe.message);
    return { status, body: { message, code: codeForHttpStatus(status) }, log: false };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { status: 500, body: { message: `internal error: ${message}`, code: 'internal' }, log: true };
}
