import { ApiError } from './api-client';
import { UsageError } from './output';

/**
 * Exit codes scripts can rely on:
 *   0 success · 1 the operation failed (server error, unreachable server) · 2 invalid input (bad flags,
 *   invalid manifest) · 3 not found · 4 conflict (concurrent or incompatible change).
 */
export const EXIT = { ok: 0, failed: 1, invalid: 2, notFound: 3, conflict: 4 } as const;

export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT.invalid;
  if (error instanceof ApiError) {
    if (error.status === 400 || error.status === 422) return EXIT.invalid;
    if (error.status === 404) return EXIT.notFound;
    if (error.status === 409) return EXIT.conflict;
  }
  if (error instanceof Error && error.name === 'CommanderError') return EXIT.invalid;
  return EXIT.failed;
}

/** One readable message, plus the field-level details a validation error carries. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError && Array.isArray(error.details)) {
    const lines = (error.details as { path?: string; message?: string }[]).map((d) => `  ${d.path ? `${d.path}: ` : ''}${d.message ?? ''}`);
    return [error.message, ...lines].join('\n');
  }
  return error instanceof Error ? error.message : String(error);
}
