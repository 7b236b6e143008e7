import { BerthError, EXIT, EXIT_CODE } from '../lib/errors';
import { ApiError } from './api-client';

/** Exit codes scripts can rely on: see lib/errors/exit-codes.ts (0 ok, 1 failed, 2 invalid, 3 not found, 4 conflict). */
export { EXIT };

/**
 * The exit code of a failed command: its error's code through the one table (EXIT_CODE) — the
 * server's code for API errors, usage errors are invalid_argument, local repository errors carry
 * theirs; a commander parse error is invalid input; anything else failed.
 */
export function exitCodeFor(error: unknown): number {
  if (error instanceof BerthError) return EXIT_CODE[error.code];
  if (error instanceof Error && error.name === 'CommanderError') return EXIT.invalid;
  return EXIT.failed;
}

/** One readable message, plus the field-level details a validation error carries. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError && error.details) {
    const lines = error.details.map((d) => `  ${d.path ? `${d.path}: ` : ''}${d.message}`);
    return [error.message, ...lines].join('\n');
  }
  return error instanceof Error ? error.message : String(error);
}
