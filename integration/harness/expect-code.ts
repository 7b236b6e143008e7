import { status } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { CsiCallError } from '../../volumes/csi-client/errors';

/** Asserts that a CSI call fails with exactly this gRPC status; returns the error for further checks. */
export async function expectCode(promise: Promise<unknown>, code: status): Promise<CsiCallError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CsiCallError, `expected a CsiCallError, got ${String(error)}`);
    assert.equal(error.codeName, status[code], `expected ${status[code]}, got ${error.message}`);
    return error;
  }
  assert.fail(`expected ${status[code]}, but the call succeeded`);
}
