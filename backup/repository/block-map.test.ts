import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { BlockMap, decodeBlockMap, encodeBlockMap, normalizeRanges, overlayExtents } from './block-map';
import { Repository } from './repository';
import { fileRangeReader, removeDir, scatterWrites, sha256File, tempDir, writeRandomFile } from './test-helpers';

const MiB = 1024 * 1024;
const ID = (n: number): string => n.toString(16).padStart(64, '0');

describe('block maps', () => {
  it('lay changed ranges over a parent, splitting and re-joining extents', () => {
    const parent: BlockMap = { size: 3 * MiB, extents: [0, 1, 2].map((n) => ({ chunk: ID(n), chunkOffset: 0, length: MiB })) };
    const map = overlayExtents(parent, 3 * MiB, [
      { offset: 4096, length: 4096, chunk: ID(10), chunkOffset: 0 },
      { offset: MiB - 4096, length: 8192, chunk: ID(11), chunkOffset: 0 },
    ]);
    assert.deepEqual(map.extents, [
      { chunk: ID(0), chunkOffset: 0, length: 4096 },
      { chunk: ID(10), chunkOffset: 0, length: 4096 },
      { chunk: ID(0), chunkOffset: 8192, length: MiB - 12288 },
      { chunk: ID(11), chunkOffset: 0, length: 8192 },
      { chunk: ID(1), chunkOffset: 4096, length: MiB - 4096 },
      { chunk: ID(2), chunkOffset: 0, length: MiB },
    ]);
    assert.deepEqual(decodeBlockMap(encodeBlockMap(map)), map);
    // Laying the parent's own bytes back re-joins into one extent.
    const healed = overlayExtents(map, 3 * MiB, [{ offset: 4096, length: 4096, chunk: ID(0), chunkOffset: 4096 }]);
    assert.deepEqual(healed.extents.slice(0, 2), [
      { chunk: ID(0), chunkOffset: 0, length: MiB - 4096 },
      { chunk: ID(11), chunkOffset: 0, length: 8192 },
    ]);
  });

  it('normalizes ranges: aligned to 4 KiB, sorted, merged, clipped', () => {
    assert.deepEqual(
      normalizeRanges(
        [
          { offset: 9000, length: 10 },
          { offset: 0, length: 1 },
          { offset: 4095, length: 2 },
          { offset: 99_000, length: 5000 },
        ],
        100_000,
        4096,
      ),
      [
        { offset: 0, length: 12288 },
        { offset: 98_304, length: 1696 },
      ],
    );
  });
});

describe('block volumes in the repository', function () {
  this.timeout(180_000);
  let dir: string;

  beforeEach(() => {
    dir = tempDir('blocks');
  });
  afterEach(async () => removeDir(dir));

  async function backupImage(
    repo: Repository,
    image: string,
    parentBackupId?: string,
    changedRanges?: { offset: number; length: number }[],
    zeroRanges?: { offset: number; length: number }[],
    reads: { offset: number; length: number }[] = [],
  ) {
    const reader = await fileRangeReader(image);
    try {
      const session = await repo.beginBackup();
      const size = (await fs.stat(image)).size;
      const readRange = (offset: number, length: number) => {
        reads.push({ offset, length });
        return reader.read(offset, length);
      };
      await session.writeBlockVolume('disk', { size, readRange, parentBackupId, changedRanges, zeroRanges });
      return await session.commit({ app: null, parent: parentBackupId });
    } finally {
      await reader.close();
    }
  }

  it('incremental after 1% changed in scattered 4 KiB writes on a 64 MiB image adds ≤ 2% and restores exactly', async () => {
    const image = join(dir, 'disk.img');
    const size = 64 * MiB;
    await writeRandomFile(image, size);
    await fs.copyFile(image, join(dir, 'full.img'));
    const repo = await Repository.init(join(dir, 'repo'), 'blocks');
    const full = await backupImage(repo, image);
    assert.equal(full.stats.bytesRead, size);

    const ranges = await scatterWrites(image, size, Math.round((size * 0.01) / 4096));
    const sizeBefore = await repo.storageBytes();
    const incremental = await backupImage(repo, image, full.id, ranges);
    const added = (await repo.storageBytes()) - sizeBefore;
    assert.ok(added <= 0.02 * size, `incremental added ${added} bytes = ${((100 * added) / size).toFixed(2)}% of the image`);
    assert.equal(incremental.stats.bytesRead, ranges.length * 4096, 'only the changed ranges are read');

    await repo.restoreVolume(incremental.id, 'disk', join(dir, 'restored-incremental.img'));
    assert.equal(await sha256File(join(dir, 'restored-incremental.img')), await sha256File(image));
    await repo.restoreVolume(full.id, 'disk', join(dir, 'restored-full.img'));
    assert.equal(await sha256File(join(dir, 'restored-full.img')), await sha256File(join(dir, 'full.img')));

    // Deleting the full backup and pruning keeps what the incremental still uses.
    await repo.deleteBackup(full.id);
    await repo.prune();
    assert.deepEqual((await repo.check()).problems, []);
    await repo.restoreVolume(incremental.id, 'disk', join(dir, 'after-prune.img'));
    assert.equal(await sha256File(join(dir, 'after-prune.img')), await sha256File(image));
  });

  it('stores holes without reading them, and a range discarded since the parent (no changed extent) restores as zeros', async () => {
    const image = join(dir, 'disk.img');
    await writeRandomFile(image, 8 * MiB);
    const hole = { offset: 3 * MiB + 4096, length: 2 * MiB };
    const touches = (reads: { offset: number; length: number }[]) =>
      reads.some((r) => r.offset < hole.offset + hole.length && r.offset + r.length > hole.offset);
    const repo = await Repository.init(join(dir, 'repo'), 'blocks');
    const full = await backupImage(repo, image);
    // The guest discards a range: the image now has a hole there (it reads as zeros), and btrfs lists no
    // extent written for it, so the changed ranges are empty.
    const fd = await fs.open(image, 'r+');
    await fd.write(Buffer.alloc(hole.length), 0, hole.length, hole.offset);
    await fd.close();
    const reads: { offset: number; length: number }[] = [];
    const next = await backupImage(repo, image, full.id, [], [hole], reads);
    assert.equal(touches(reads), false, 'a hole is never read');
    await repo.restoreVolume(next.id, 'disk', join(dir, 'out.img'));
    assert.equal(await sha256File(join(dir, 'out.img')), await sha256File(image), "the discarded range restores as zeros, not as the parent's data");
    // The next incremental finds the hole held by zeros in its parent already: nothing is laid again.
    const third = await backupImage(repo, image, next.id, [], [hole]);
    assert.equal(third.volumes[0].stats.chunksNew + third.volumes[0].stats.chunksReused, 0);
    // A full backup skips the reads of the chunk-sized pieces wholly inside holes too (here 4–5 MiB).
    const again = await backupImage(repo, image, undefined, undefined, [hole]);
    assert.equal(again.stats.bytesRead, 7 * MiB);
    await repo.restoreVolume(again.id, 'disk', join(dir, 'again.img'));
    assert.equal(await sha256File(join(dir, 'again.img')), await sha256File(image));
  });

  it('without known changed ranges, compares blocks (reads everything, stores only changed blocks)', async () => {
    const image = join(dir, 'disk.img');
    await writeRandomFile(image, 8 * MiB);
    const repo = await Repository.init(join(dir, 'repo'), 'blocks');
    const full = await backupImage(repo, image);
    await scatterWrites(image, 8 * MiB, 2);
    const next = await backupImage(repo, image, full.id);
    assert.equal(next.stats.bytesRead, 8 * MiB);
    assert.ok(next.volumes[0].stats.chunksNew <= 2);
    await repo.restoreVolume(next.id, 'disk', join(dir, 'out.img'));
    assert.equal(await sha256File(join(dir, 'out.img')), await sha256File(image));
  });

  it('keeps fragmentation bounded over many incrementals, handles growth and shrinkage', async () => {
    const image = join(dir, 'disk.img');
    let size = 4 * MiB;
    await writeRandomFile(image, size);
    const repo = await Repository.init(join(dir, 'repo'), 'blocks');
    let previous = await backupImage(repo, image);
    for (let round = 0; round < 12; round++) {
      const ranges = await scatterWrites(image, size, 20);
      if (round === 5) {
        await fs.appendFile(image, Buffer.alloc(MiB + 4096, 7));
        size += MiB + 4096;
      }
      if (round === 9) {
        size -= 3 * 4096;
        await fs.truncate(image, size);
      }
      previous = await backupImage(repo, image, previous.id, ranges);
    }
    const map = await repo.readBlockMap(previous.id, 'disk');
    assert.equal(map.size, size);
    assert.ok(map.extents.length <= 33 * Math.ceil(size / MiB), `${map.extents.length} extents`);
    await repo.restoreVolume(previous.id, 'disk', join(dir, 'out.img'));
    assert.equal(await sha256File(join(dir, 'out.img')), await sha256File(image));
  });
});
