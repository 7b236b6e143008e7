import { GRPC_STATUS } from '../../lib/errors/grpc-status';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { CsiError } from './errors';
import { OperationLocks } from './locks';
import { mountedPublications, NodeUnpublishBackend, nodeUnpublishVolume } from './node-unpublish';

interface Pub {
  volumeId: string;
  targetPath: string;
}

/** A node with volume `vol-a` published at /t/a, and `vol-b` known but published nowhere. */
function node() {
  const publications = new Map<string, Pub>([['/t/a', { volumeId: 'vol-a', targetPath: '/t/a' }]]);
  const undone: string[] = [];
  const backend: NodeUnpublishBackend<Pub> = {
    locks: new OperationLocks(),
    publicationAt: (path: string) => publications.get(path),
    volumeExists: (id: string) => id === 'vol-a' || id === 'vol-b',
    async unpublish(p, path) {
      undone.push(path);
      publications.delete(p.targetPath);
    },
  };
  return { backend, undone, publications };
}

const code = (expected: status) => (e: unknown) => e instanceof CsiError && GRPC_STATUS[e.code] === expected;

describe('plugin sdk: NodeUnpublishVolume (the same for local, nfs and iscsi)', () => {
  it('undoes a publication once, and answers OK when repeated (idempotent)', async () => {
    const { backend, undone, publications } = node();
    assert.deepEqual(await nodeUnpublishVolume({ volumeId: 'vol-a', targetPath: '/t/a' }, backend), {});
    assert.deepEqual(await nodeUnpublishVolume({ volumeId: 'vol-a', targetPath: '/t/a' }, backend), {});
    assert.deepEqual(undone, ['/t/a']);
    assert.equal(publications.size, 0);
  });

  it('answers OK for a volume that exists but is not published at the target, touching nothing', async () => {
    const { backend, undone } = node();
    assert.deepEqual(await nodeUnpublishVolume({ volumeId: 'vol-b', targetPath: '/t/never' }, backend), {});
    // Another volume's publication at that path is not this volume's to undo.
    assert.deepEqual(await nodeUnpublishVolume({ volumeId: 'vol-b', targetPath: '/t/a' }, backend), {});
    assert.deepEqual(undone, []);
  });

  it('answers NOT_FOUND for a volume that does not exist (the spec’s listed error)', async () => {
    const { backend, undone } = node();
    await assert.rejects(nodeUnpublishVolume({ volumeId: 'vol-zz', targetPath: '/t/never' }, backend), code(status.NOT_FOUND));
    await assert.rejects(nodeUnpublishVolume({ volumeId: 'vol-zz', targetPath: '/t/a' }, backend), code(status.NOT_FOUND));
    assert.deepEqual(undone, []);
  });

  it('refuses a missing volume id or a missing or relative target path', async () => {
    const { backend } = node();
    await assert.rejects(nodeUnpublishVolume({ volumeId: '', targetPath: '/t/a' }, backend), code(status.INVALID_ARGUMENT));
    await assert.rejects(nodeUnpublishVolume({ volumeId: 'vol-a', targetPath: '' }, backend), code(status.INVALID_ARGUMENT));
    await assert.rejects(nodeUnpublishVolume({ volumeId: 'vol-a', targetPath: 't/a' }, backend), code(status.INVALID_ARGUMENT));
  });

  it('answers ABORTED while another operation holds the volume', async () => {
    const { backend } = node();
    let release!: () => void;
    const busy = backend.locks.withLocks(
      ['vol-a'],
      'NodePublishVolume',
      () =>
        new Promise<void>((r) => {
          release = r;
        }),
    );
    await assert.rejects(nodeUnpublishVolume({ volumeId: 'vol-a', targetPath: '/t/a' }, backend), code(status.ABORTED));
    release();
    await busy;
  });
});

describe('plugin sdk: mounted publications (the NodeUnpublish backend of local, nfs and iscsi)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-unpublish-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('removes the empty directory or file NodePublish made at the target, forgets the record and saves', async () => {
    const mountTarget = join(dir, 'mount');
    const blockTarget = join(dir, 'block');
    mkdirSync(mountTarget);
    writeFileSync(blockTarget, '');
    const publications = new Map<string, Pub>([
      [mountTarget, { volumeId: 'vol-a', targetPath: mountTarget }],
      [blockTarget, { volumeId: 'vol-a', targetPath: blockTarget }],
    ]);
    let saves = 0;
    const backend = mountedPublications(
      new OperationLocks(),
      publications,
      () => saves++,
      (id) => id === 'vol-a',
    );
    await nodeUnpublishVolume({ volumeId: 'vol-a', targetPath: mountTarget }, backend);
    await nodeUnpublishVolume({ volumeId: 'vol-a', targetPath: blockTarget }, backend);
    assert.ok(!existsSync(mountTarget) && !existsSync(blockTarget));
    assert.equal(publications.size, 0);
    assert.equal(saves, 2);
  });

  it('leaves a target with content in place (not the plugin’s to remove), and still answers OK', async () => {
    const target = join(dir, 'full');
    mkdirSync(target);
    writeFileSync(join(target, 'someone-elses'), 'x');
    const publications = new Map<string, Pub>([[target, { volumeId: 'vol-a', targetPath: target }]]);
    const backend = mountedPublications(
      new OperationLocks(),
      publications,
      () => undefined,
      () => true,
    );
    assert.deepEqual(await nodeUnpublishVolume({ volumeId: 'vol-a', targetPath: target }, backend), {});
    assert.ok(existsSync(join(target, 'someone-elses')));
    assert.equal(publications.size, 0);
  });
});
