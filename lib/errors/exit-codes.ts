import type { ErrorCode } from './codes';

/**
 * Exit codes scripts can rely on:
 *   0 success · 1 the operation failed (server error, unreachable server) · 2 invalid input (bad flags,
 *   invalid manifest) · 3 not found · 4 conflict (concurrent or incompatible change).
 */
export const EXIT = { ok: 0, failed: 1, invalid: 2, notFound: 3, conflict: 4 } as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * Code → CLI exit code: the one table the CLI uses, for errors of its own and for the server's
 * (whose answers carry the code). Every code whose HTTP status is 400 exits 2, 404 exits 3,
 * 409 exits 4 — what scripts saw when the CLI read only the status (checked by the tests).
 */
export const EXIT_CODE: Readonly<Record<ErrorCode, ExitCode>> = {
  invalid_argument: EXIT.invalid,
  out_of_range: EXIT.invalid,
  not_found: EXIT.notFound,
  already_exists: EXIT.conflict,
  conflict: EXIT.conflict,
  failed_precondition: EXIT.conflict,
  aborted: EXIT.conflict,
  resource_exhausted: EXIT.failed,
  unauthenticated: EXIT.failed,
  permission_denied: EXIT.failed,
  cancelled: EXIT.failed,
  deadline_exceeded: EXIT.failed,
  unavailable: EXIT.failed,
  unimplemented: EXIT.failed,
  dependency_failed: EXIT.failed,
  internal: EXIT.failed,
  unknown: EXIT.failed,
  repository_not_found: EXIT.notFound,
  repository_exists: EXIT.conflict,
  wrong_passphrase: EXIT.invalid,
  unsupported_format: EXIT.invalid,
  repository_corrupt: EXIT.failed,
  repository_locked: EXIT.conflict,
};
