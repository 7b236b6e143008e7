import type { ErrorCode } from './codes';

/**
 * Code → HTTP status: the one table the API's error handler uses. General codes follow the usual
 * mapping of gRPC codes onto HTTP (google.rpc.Code), except that `failed_precondition` answers 409
 * like every other refusal caused by the current state of things in Berth's API.
 */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  invalid_argument: 400,
  out_of_range: 400,
  not_found: 404,
  already_exists: 409,
  conflict: 409,
  failed_precondition: 409,
  aborted: 409,
  resource_exhausted: 429,
  unauthenticated: 401,
  permission_denied: 403,
  cancelled: 499,
  deadline_exceeded: 504,
  unavailable: 503,
  unimplemented: 501,
  dependency_failed: 424,
  internal: 500,
  unknown: 500,
  repository_not_found: 404,
  repository_exists: 409,
  wrong_passphrase: 400,
  unsupported_format: 400,
  repository_corrupt: 500,
  repository_locked: 409,
};

/**
 * The code to assume for an HTTP answer that carries none: fastify's own refusals (schema
 * validation, body too large), proxies, servers older than the catalogue. 0 is "no answer at all".
 * Not a second table: each status names the general code whose row answers it.
 */
export function codeForHttpStatus(status: number): ErrorCode {
  switch (status) {
    case 0:
      return 'unavailable';
    case 400:
    case 413: // the request is too large: the caller's input to change, like any other invalid input
    case 422:
    case 431:
      return 'invalid_argument';
    case 401:
      return 'unauthenticated';
    case 403:
      return 'permission_denied';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 424:
      return 'dependency_failed';
    case 429:
      return 'resource_exhausted';
    case 499:
      return 'cancelled';
    case 500:
      return 'internal';
    case 501:
      return 'unimplemented';
    case 503:
      return 'unavailable';
    case 504:
      return 'deadline_exceeded';
    default:
      return 'unknown';
  }
}
