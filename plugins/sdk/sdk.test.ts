import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { OperationLocks } from './locks';
import { isSafeId, requireAbsolutePath } from './validate';
import { GRPC_STATUS } from '../../lib/errors/grpc-status';
import { CsiError } from './errors';

describe('plugin sdk (pure logic)', () => {
  it('answers ABORTED to a second operation on a busy id and frees the id afterwards', async () => {
    const locks = new OperationLocks();
    let release!: () => void;
    const first = locks.withLocks(
      ['vol-1'],
      'CreateVolume',
      () =>
        new Promise<void>((r) => {
          release = r;
        }),
    );
    await assert.rejects(
      locks.withLocks(['vol-1'], 'DeleteVolume', async () => undefined),
      (e: unknown) => e instanceof CsiError && GRPC_STATUS[e.code] === status.ABORTED && /CreateVolume/.test(e.message),
    );
    release();
    await first;
    assert.equal(await locks.withLocks(['vol-1'], 'DeleteVolume', async () => 'done'), 'done');
  });

  it('frees every lock when the operation throws', async () => {
    const locks = new OperationLocks();
    await assert.rejects(
      locks.withLocks(['a', 'b'], 'op', async () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(locks.isHeld('a') || locks.isHeld('b'), false);
  });

  it('accepts only ids that are safe as a single path component', () => {
    for (const ok of ['vol-0123', 'pvc-1234_abc.d', 'A1']) assert.ok(isSafeId(ok), ok);
    for (const bad of ['', '..', 'a/b', '../x', '.hidden', 'a..b', 'a\0b', 'x'.repeat(200), 'sp ace']) assert.equal(isSafeId(bad), false, bad);
  });

  it('refuses relative staging/target paths and .. components', () => {
    assert.equal(requireAbsolutePath('/var/lib/x', 'p'), '/var/lib/x');
    for (const bad of ['relative/x', '/a/../etc', '']) {
      assert.throws(
        () => requireAbsolutePath(bad, 'target_path'),
        (e: unknown) => e instanceof CsiError && GRPC_STATUS[e.code] === status.INVALID_ARGUMENT,
      );
    }
  });
});
