import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { storedPerVolume } from './backup-session';
import { manifestObjectName, VolumeEntry } from './manifest';
import { Repository } from './repository';
import { compressibleData, dirBytes, removeDir, tempDir, writeRandomFile } from './test-helpers';

const PASS = 'correct horse battery staple';
const MiB = 1024 * 1024;

/**
 * The figures a backup reports: bytes read, new bytes after deduplication, and bytes stored — the
 * last must be exactly what the repository directory grew by, read back from the manifest too.
 */
describe('backup repository: stored bytes are the growth on disk', function () {
  this.timeout(120_000);
  let dir: string;
  let location: string;

  beforeEach(() => {
    dir = tempDir('stored');
    location = join(dir, 'repo');
  });
  afterEach(async () => removeDir(dir));

  const manifestBytes = async (id: string) => (await fs.stat(join(location, ...manifestObjectName(id).split('/')))).size;

  it('counts compressed, encrypted bytes: 4 MiB of repeated text stores far less, and a second identical backup only its manifest', async () => {
    const src = join(dir, 'src');
    await fs.mkdir(src);
    await fs.writeFile(join(src, 'log.txt'), compressibleData(4 * MiB));
    const image = join(dir, 'disk.img');
    await fs.writeFile(image, compressibleData(2 * MiB));
    const repo = await Repository.init(location, PASS);
    const readImage = async (offset: number, length: number) => {
      const handle = await fs.open(image, 'r');
      try {
        const buffer = Buffer.alloc(length);
        await handle.read(buffer, 0, length, offset);
        return buffer;
      } finally {
        await handle.close();
      }
    };

    const before = await dirBytes(location);
    const session = await repo.beginBackup();
    await session.writeDirectory('data', src);
    await session.writeBlockVolume('disk', { size: 2 * MiB, readRange: readImage });
    const first = await session.commit({ app: null });
    const grew = (await dirBytes(location)) - before;

    assert.equal(first.stats.bytesStored, grew, 'stored = what the repository directory grew by');
    assert.equal(first.stats.bytesAdded, grew);
    assert.equal(first.stats.bytesRead, 6 * MiB);
    assert.equal(
      first.stats.bytesNew,
      first.volumes.reduce((a, v) => a + v.stats.bytesNew, 0),
    );
    assert.ok(first.stats.bytesNew! > 5 * MiB, `new ${first.stats.bytesNew}`);
    assert.ok(grew < 0.25 * first.stats.bytesRead, `stored ${grew} of ${first.stats.bytesRead} read: compressed`);
    const perVolume = first.volumes.reduce((a, v) => a + (v.stats.bytesStored ?? Number.NaN), 0);
    assert.equal(perVolume + (await manifestBytes(first.id)), grew, 'the volumes and the manifest add up to the total');
    assert.ok(first.volumes.every((v) => (v.stats.bytesStored ?? 0) > 0 && (v.stats.bytesStored ?? 0) < v.stats.bytesNew));

    const reopened = await Repository.open(location, PASS);
    const readBack = await reopened.getBackup(first.id);
    assert.equal(readBack.stats.bytesStored, grew, 'the manifest read back counts itself too');
    assert.deepEqual(
      readBack.volumes.map((v) => v.stats.bytesStored),
      first.volumes.map((v) => v.stats.bytesStored),
    );

    const beforeSecond = await dirBytes(location);
    const again = await reopened.beginBackup();
    await again.writeDirectory('data', src);
    await again.writeBlockVolume('disk', { size: 2 * MiB, readRange: readImage });
    const second = await again.commit({ app: null, parent: first.id });
    const grewSecond = (await dirBytes(location)) - beforeSecond;
    assert.equal(second.stats.bytesRead, 6 * MiB);
    assert.equal(second.stats.bytesNew, 0);
    assert.equal(second.stats.bytesStored, grewSecond);
    assert.equal(grewSecond, await manifestBytes(second.id), 'an identical backup stores only its manifest');
    assert.deepEqual(
      second.volumes.map((v) => v.stats.bytesStored),
      [0, 0],
    );
  });

  it('adds up what separate sessions stored (data movers) into the manifest committed for them', async () => {
    const src = join(dir, 'src');
    await fs.mkdir(src);
    await fs.writeFile(join(src, 'log.txt'), compressibleData(3 * MiB));
    await writeRandomFile(join(src, 'random.bin'), MiB);
    const coordinator = await Repository.init(location, PASS);
    const before = await dirBytes(location);
    const lock = await coordinator.holdSharedLock('test coordinator');
    const entries: VolumeEntry[] = [];
    const grewBy: number[] = [];
    try {
      for (const name of ['data-0', 'data-1']) {
        const start = await dirBytes(location);
        const mover = await Repository.open(location, PASS);
        const session = await mover.beginBackup();
        await session.writeDirectory(name, src);
        const [entry] = await session.finishVolumes();
        grewBy.push((await dirBytes(location)) - start);
        entries.push(entry);
      }
      // The second mover found every chunk and its (identical) tree already stored: it added nothing.
      assert.deepEqual(
        entries.map((e) => e.stats.bytesStored),
        grewBy,
      );
      assert.equal(grewBy[1], 0);
      const backup = await coordinator.commitManifest({ app: { name: 'pg' }, volumes: entries });
      await lock.release();
      const grew = (await dirBytes(location)) - before;
      assert.equal(backup.stats.bytesStored, grew);
      assert.equal(backup.stats.bytesStored, grewBy[0] + (await manifestBytes(backup.id)));
      assert.equal(backup.stats.bytesRead, 8 * MiB);
      assert.equal(backup.stats.bytesNew, 4 * MiB);
      assert.ok(backup.stats.bytesStored < 2 * MiB, `stored ${backup.stats.bytesStored}`);
      assert.equal((await coordinator.getBackup(backup.id)).stats.bytesStored, grew);
    } finally {
      await lock.release().catch(() => undefined);
    }
  });

  it('leaves the total unknown when a volume came without its stored bytes (an older data mover)', async () => {
    const src = join(dir, 'src');
    await fs.mkdir(src);
    await fs.writeFile(join(src, 'a.txt'), 'hello\n');
    const repo = await Repository.init(location, PASS);
    const session = await repo.beginBackup();
    await session.writeDirectory('data', src);
    const [entry] = await session.finishVolumes();
    const { bytesStored: _dropped, ...oldStats } = entry.stats;
    const backup = await repo.commitManifest({ app: null, volumes: [{ ...entry, stats: oldStats }] });
    assert.equal(backup.stats.bytesStored, undefined);
    assert.equal(backup.stats.bytesNew, entry.stats.bytesNew);
    assert.equal(backup.stats.bytesAdded, entry.stats.bytesNew + (await manifestBytes(backup.id)));
    assert.equal((await repo.getBackup(backup.id)).stats.bytesStored, undefined);
  });

  it('splits pack and index overhead among volumes by their blobs, adding up exactly', () => {
    const stats = { bytesWritten: 10_000, storedBytesNew: 9_001, blobsNew: 7 };
    const shares = storedPerVolume(
      [
        { bytes: 3_000, blobs: 3 },
        { bytes: 0, blobs: 0 },
        { bytes: 6_001, blobs: 4 },
      ],
      stats,
    );
    assert.equal(
      shares.reduce((a, b) => a + b, 0),
      10_000,
    );
    assert.equal(shares[1], 0);
    assert.deepEqual(storedPerVolume([{ bytes: 0, blobs: 0 }], { bytesWritten: 0, storedBytesNew: 0, blobsNew: 0 }), [0]);
  });
});
