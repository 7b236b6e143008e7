import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { BerthError, codeForHttpStatus, ERROR_CODES, EXIT, EXIT_CODE, HTTP_STATUS, isErrorCode, rephrase } from '.';
import { codeForGrpcStatus, GRPC_STATUS, grpcStatusOf } from './grpc-status';

/** What the CLI answered when it read only the HTTP status: scripts rely on it, so every code keeps it. */
// A request too large (413, 431) is invalid input the caller changes, like a 400: exit 2.
const exitForStatus = (s: number): number => (s === 400 || s === 413 || s === 422 || s === 431 ? 2 : s === 404 ? 3 : s === 409 ? 4 : 1);

describe('lib/errors: the catalogue and its tables', () => {
  it('maps every code in every table, and nothing else', () => {
    const codes = [...ERROR_CODES].sort();
    assert.equal(new Set(codes).size, codes.length, 'codes are unique');
    for (const [name, table] of [
      ['HTTP', HTTP_STATUS],
      ['gRPC', GRPC_STATUS],
      ['exit', EXIT_CODE],
    ] as const) {
      assert.deepEqual(Object.keys(table).sort(), codes, `${name} table`);
    }
    const grpcCodes = new Set(Object.values(status).filter((v) => typeof v === 'number'));
    const exitCodes = new Set<number>(Object.values(EXIT));
    for (const code of ERROR_CODES) {
      assert.ok(HTTP_STATUS[code] >= 400 && HTTP_STATUS[code] <= 599, `${code}: HTTP ${HTTP_STATUS[code]}`);
      assert.ok(grpcCodes.has(GRPC_STATUS[code]) && GRPC_STATUS[code] !== status.OK, `${code}: gRPC ${GRPC_STATUS[code]}`);
      assert.ok(exitCodes.has(EXIT_CODE[code]) && EXIT_CODE[code] !== EXIT.ok, `${code}: exit ${EXIT_CODE[code]}`);
    }
  });

  it('exits as the status-only CLI did, for every code', () => {
    for (const code of ERROR_CODES) assert.equal(EXIT_CODE[code], exitForStatus(HTTP_STATUS[code]), code);
  });

  it('reads an answer without a code by its status, exiting as before', () => {
    for (const s of [0, 400, 401, 403, 404, 409, 413, 415, 422, 424, 429, 431, 500, 501, 502, 503, 504]) {
      assert.equal(EXIT_CODE[codeForHttpStatus(s)], exitForStatus(s), `HTTP ${s}`);
    }
    // The general code a status stands for answers that status again.
    for (const s of new Set(Object.values(HTTP_STATUS))) assert.equal(HTTP_STATUS[codeForHttpStatus(s)], s, `HTTP ${s}`);
  });

  it('keeps the gRPC statuses the plugins and the data mover answered with', () => {
    const expected: Record<string, status> = {
      invalid_argument: status.INVALID_ARGUMENT,
      not_found: status.NOT_FOUND,
      already_exists: status.ALREADY_EXISTS,
      aborted: status.ABORTED,
      failed_precondition: status.FAILED_PRECONDITION,
      resource_exhausted: status.RESOURCE_EXHAUSTED,
      out_of_range: status.OUT_OF_RANGE,
      unimplemented: status.UNIMPLEMENTED,
      internal: status.INTERNAL,
      unavailable: status.UNAVAILABLE,
      wrong_passphrase: status.FAILED_PRECONDITION,
      repository_not_found: status.FAILED_PRECONDITION,
      unsupported_format: status.FAILED_PRECONDITION,
      repository_corrupt: status.DATA_LOSS,
    };
    for (const [code, s] of Object.entries(expected)) assert.equal(GRPC_STATUS[code as keyof typeof GRPC_STATUS], s, code);
    assert.equal(grpcStatusOf(new Error('a bug')), status.INTERNAL);
    assert.equal(grpcStatusOf(new BerthError('not_found', 'x')), status.NOT_FOUND);
  });

  it('reads a gRPC status back as the code whose row answers it', () => {
    for (const s of new Set(Object.values(GRPC_STATUS))) assert.equal(GRPC_STATUS[codeForGrpcStatus(s)], s, `gRPC ${status[s]}`);
    for (const code of ['invalid_argument', 'not_found', 'failed_precondition', 'aborted', 'unavailable', 'internal'] as const) {
      assert.equal(codeForGrpcStatus(GRPC_STATUS[code]), code);
    }
    assert.equal(codeForGrpcStatus(status.OK), 'unknown');
  });

  it('carries code, message, field details and context; rephrasing keeps the code', () => {
    const e = new BerthError('invalid_argument', 'bad', { details: [{ path: 'spec.x', message: 'no' }], context: { x: 1 } });
    assert.equal(e.name, 'BerthError');
    assert.deepEqual([e.code, e.message, e.details, e.context], ['invalid_argument', 'bad', [{ path: 'spec.x', message: 'no' }], { x: 1 }]);
    assert.equal(new BerthError('internal', 'x', { details: [] }).details, undefined, 'no empty details');
    const r = rephrase(e, 'better');
    assert.deepEqual([r.code, r.message, r.details, r.cause], ['invalid_argument', 'better', e.details, e]);
    assert.ok(isErrorCode('repository_locked') && !isErrorCode('invalid-manifest') && !isErrorCode(4));
  });
});
