import type { ErrorCode } from './codes';

/** One problem with one field of the input, named by a readable path (`spec.volumes[0].claim.size`). */
export interface FieldError {
  path: string;
  message: string;
}

/** The facts behind an error, for logs and callers that branch on them without parsing messages. */
export type ErrorContext = Readonly<Record<string, unknown>>;

export interface BerthErrorOptions {
  /** Field-level problems (validation), sent to API clients as `errors`. */
  details?: readonly FieldError[];
  context?: ErrorContext;
  cause?: unknown;
}

/**
 * The one base of every error Berth throws on purpose: a stable code from the catalogue, a message a
 * person can act on, and optionally the fields at fault. Each edge translates the code once, by its
 * table: HTTP status (http-status.ts), gRPC status (grpc-status.ts), CLI exit code (exit-codes.ts).
 * Subclasses add typed facts (the location, the node, the backup id) and fix their code.
 *
 * Expected outcomes of normal operation (a node is full, a task is unschedulable) are returned as
 * values, not thrown.
 */
export class BerthError extends Error {
  readonly code: ErrorCode;
  readonly details?: readonly FieldError[];
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, options: BerthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if (options.details && options.details.length > 0) this.details = options.details;
    this.context = options.context ?? {};
  }
}

/** The same kind of error with a message that says more where more is known (a repository's name, a CLI hint). */
export function rephrase(error: BerthError, message: string): BerthError {
  return new BerthError(error.code, message, { details: error.details, context: error.context, cause: error });
}
