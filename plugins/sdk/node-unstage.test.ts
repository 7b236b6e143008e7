import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { GRPC_STATUS } from '../../lib/errors/grpc-status';
import { CsiError } from './errors';
import { OperationLocks } from './locks';
import { type NodeUnstageBackend, nodeUnstageVolume } from './node-unstage';

interface Stage {
  volumeId: string;
  stagingPath: string;
}

/** A node with `vol-a` staged at /s/a, `vol-p` staged at /s/p and published, and `vol-b` known but staged nowhere. */
function node() {
  const stages = new Map<string, Stage>([
    ['vol-a', { volumeId: 'vol-a', stagingPath: '/s/a' }],
    ['vol-p', { volumeId: 'vol-p', stagingPath: '/s/p' }],
  ]);
  const tornDown: string[] = [];
  let saves = 0;
  const backend: NodeUnstageBackend<Stage> = {
    locks: new OperationLocks(),
    stages,
    volumeExists: (id) => ['vol-a', 'vol-b', 'vol-p'].includes(id),
    isPublished: (id) => id === 'vol-p',
    async teardown(stage) {
      tornDown.push(stage.stagingPath);
    },
    save: () => saves++,
  };
  return { backend, stages, tornDown, saves: () => saves };
}

const code = (expected: status) => (e: unknown) => e instanceof CsiError && GRPC_STATUS[e.code] === expected;

describe('plugin sdk: NodeUnstageVolume (the same for local and iscsi)', () => {
  it('tears a stage down once, forgets it, and answers OK when repeated (idempotent)', async () => {
    const { backend, stages, tornDown, saves } = node();
    assert.deepEqual(await nodeUnstageVolume({ volumeId: 'vol-a', stagingTargetPath: '/s/a' }, backend), {});
    assert.deepEqual(await nodeUnstageVolume({ volumeId: 'vol-a', stagingTargetPath: '/s/a' }, backend), {});
    assert.deepEqual(tornDown, ['/s/a']);
    assert.ok(!stages.has('vol-a'));
    assert.equal(saves(), 1);
  });

  it('answers OK for a volume not staged at the path — never staged, or staged at another — touching nothing', async () => {
    const { backend, stages, tornDown } = node();
    assert.deepEqual(await nodeUnstageVolume({ volumeId: 'vol-b', stagingTargetPath: '/s/b' }, backend), {});
    assert.deepEqual(await nodeUnstageVolume({ volumeId: 'vol-a', stagingTargetPath: '/s/elsewhere' }, backend), {});
    assert.deepEqual(tornDown, []);
    assert.ok(stages.has('vol-a'));
  });

  it('answers NOT_FOUND for a volume that does not exist, unless this node holds a stage of it', async () => {
    const { backend, stages, tornDown } = node();
    await assert.rejects(nodeUnstageVolume({ volumeId: 'vol-zz', stagingTargetPath: '/s/a' }, backend), code(status.NOT_FOUND));
    stages.set('vol-gone', { volumeId: 'vol-gone', stagingPath: '/s/gone' });
    assert.deepEqual(await nodeUnstageVolume({ volumeId: 'vol-gone', stagingTargetPath: '/s/other' }, backend), {});
    assert.deepEqual(await nodeUnstageVolume({ volumeId: 'vol-gone', stagingTargetPath: '/s/gone' }, backend), {});
    assert.deepEqual(tornDown, ['/s/gone']);
  });

  it('refuses to unstage a volume still published on the node (FAILED_PRECONDITION)', async () => {
    const { backend, stages, tornDown } = node();
    await assert.rejects(nodeUnstageVolume({ volumeId: 'vol-p', stagingTargetPath: '/s/p' }, backend), code(status.FAILED_PRECONDITION));
    assert.deepEqual(tornDown, []);
    assert.ok(stages.has('vol-p'));
  });

  it('refuses a missing volume id or a missing or relative staging path', async () => {
    const { backend } = node();
    await assert.rejects(nodeUnstageVolume({ volumeId: '', stagingTargetPath: '/s/a' }, backend), code(status.INVALID_ARGUMENT));
    await assert.rejects(nodeUnstageVolume({ volumeId: 'vol-a', stagingTargetPath: '' }, backend), code(status.INVALID_ARGUMENT));
    await assert.rejects(nodeUnstageVolume({ volumeId: 'vol-a', stagingTargetPath: 's/a' }, backend), code(status.INVALID_ARGUMENT));
  });

  it('answers ABORTED while another operation holds the volume', async () => {
    const { backend } = node();
    let release!: () => void;
    const busy = backend.locks.withLocks(['vol-a'], 'NodeStageVolume', () => new Promise<void>((r) => (release = r)));
    await assert.rejects(nodeUnstageVolume({ volumeId: 'vol-a', stagingTargetPath: '/s/a' }, backend), code(status.ABORTED));
    release();
    await busy;
  });
});
