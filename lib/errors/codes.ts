/**
 * The closed set of error codes every Berth component speaks. The general ones follow gRPC's
 * canonical codes (so a plugin, an agent and the API agree on what "not found" means); the domain
 * ones exist only where a user or a script must tell two failures apart that no general code
 * separates — today those of backup repositories (a wrong passphrase is fixed differently from a
 * missing repository, and both differently from a damaged one).
 *
 * A code never changes meaning once shipped: the CLI picks exit codes from it and API clients may
 * branch on it. Adding one means adding its row to every table (http-status.ts, grpc-status.ts,
 * exit-codes.ts); the compiler refuses a table that misses one.
 */
export const ERROR_CODES = [
  // Input
  'invalid_argument', // malformed input, whatever the system's state
  'out_of_range', // well-formed but outside what is accepted (sizes, ranges)
  // Addressed objects
  'not_found',
  'already_exists', // create of something that exists (and differs)
  // State
  'conflict', // refused because of the current state of another object (in use, being deleted, running)
  'failed_precondition', // the system is not in the state the operation needs
  'aborted', // a concurrent operation won; retrying later may succeed
  'resource_exhausted', // not enough capacity, quota or space
  // Callers
  'unauthenticated',
  'permission_denied',
  // Outcome of the call itself
  'cancelled',
  'deadline_exceeded',
  'unavailable', // the component (or one it needs) cannot be reached now; retry later
  'unimplemented',
  'dependency_failed', // a step this operation ran elsewhere failed (a hook, a plugin, an agent)
  'internal', // a bug or broken invariant
  'unknown', // a failure whose kind could not be told (e.g. an answer without a code)
  // Backup repositories
  'repository_not_found',
  'repository_exists',
  'wrong_passphrase',
  'unsupported_format', // written by a newer or unknown format version
  'repository_corrupt', // an object fails authentication or does not parse
  'repository_locked', // another operation holds a conflicting lock (prune vs. backups)
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const KNOWN = new Set<string>(ERROR_CODES);

/** True for a code of this catalogue (a newer server may send codes this CLI does not know). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && KNOWN.has(value);
}
