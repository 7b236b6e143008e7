import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Backend } from './backend';
import { DamagedChunkError, RepositoryLockedError } from './errors';
import { LocalBackend } from './local-backend';
import { Repository } from './repository';
import { removeDir, sha256File, tempDir, writeRandomFile } from './test-helpers';

const PASS = 'integrity';
const MiB = 1024 * 1024;
/** Small packs so a few MiB of data spread over several pack files. */
const SMALL_PACKS = { packWriter: { packTargetSize: 2 * MiB } };

/** A backend that "crashes" (throws) when asked to write an index file: a kill between pack and index. */
class CrashBeforeIndexBackend extends LocalBackend {
  override async write(name: string, data: Buffer | readonly Buffer[]): Promise<void> {
    if (name.startsWith('index/')) throw new Error('simulated crash before the index write');
    return super.write(name, data);
  }
}

describe('backup repository: integrity, crash safety, prune', function () {
  this.timeout(180_000);
  let dir: string;

  beforeEach(() => {
    dir = tempDir('integrity');
  });
  afterEach(async () => removeDir(dir));

  async function sourceWith(files: Record<string, number>, name = 'src'): Promise<string> {
    const src = join(dir, name);
    await fs.mkdir(src, { recursive: true });
    for (const [file, bytes] of Object.entries(files)) await writeRandomFile(join(src, file), bytes);
    return src;
  }

  it('corrupting one byte of one pack: check names the pack and the files; restoring them fails clearly', async () => {
    const src = await sourceWith({ 'a.bin': 3 * MiB, 'b.bin': 3 * MiB, 'c.bin': 3 * MiB });
    const location = join(dir, 'repo');
    const repo = await Repository.init(location, PASS, SMALL_PACKS);
    const session = await repo.beginBackup();
    await session.writeDirectory('data', src);
    const backup = await session.commit({ app: null });
    assert.equal((await repo.check()).ok, true);

    const packs = (await repo.backend.list('data')).sort();
    assert.ok(packs.length >= 3, `expected several packs, got ${packs.length}`);
    const victim = packs[0];
    const path = join(location, ...victim.split('/'));
    const bytes = await fs.readFile(path);
    bytes[Math.floor(bytes.length / 3)] ^= 0x01;
    await fs.writeFile(path, bytes);

    const report = await repo.check();
    assert.equal(report.ok, false);
    const damaged = report.problems.filter((p) => p.severity === 'error');
    assert.equal(damaged.length, 1, JSON.stringify(report.problems));
    assert.equal(damaged[0].object, victim);
    assert.ok(damaged[0].affected.length >= 1);
    const affected = damaged[0].affected[0];
    assert.equal(affected.backupId, backup.id);
    assert.equal(affected.volume, 'data');
    assert.match(affected.file ?? '', /^[abc]\.bin$|^\(volume tree\)$/);

    const brokenFiles = new Set(damaged[0].affected.map((a) => a.file));
    if (!brokenFiles.has('(volume tree)')) {
      const broken = [...brokenFiles][0]!;
      await assert.rejects(
        (async () => {
          for await (const piece of repo.readFile(backup.id, 'data', broken)) void piece;
        })(),
        (error: unknown) =>
          error instanceof DamagedChunkError && error.where.volume === 'data' && error.where.file === broken && error.message.includes(broken),
      );
      // Files that do not need the damaged pack still restore.
      for (const file of ['a.bin', 'b.bin', 'c.bin'].filter((f) => !brokenFiles.has(f))) {
        const chunks: Buffer[] = [];
        for await (const piece of repo.readFile(backup.id, 'data', file)) chunks.push(piece);
        assert.equal(Buffer.concat(chunks).length, 3 * MiB);
      }
    }
    await assert.rejects(
      repo.restoreVolume(backup.id, 'data', join(dir, 'out')),
      (error: unknown) => error instanceof DamagedChunkError && /volume data/.test(error.message),
    );
  });

  it('a restore holds its shared lock until its last file is written, and a damaged chunk fails it without an unhandled rejection', async () => {
    const location = join(dir, 'repo');
    const repo = await Repository.init(location, PASS, SMALL_PACKS);
    const session = await repo.beginBackup();
    await session.writeDirectory('data', await sourceWith({ 'a.bin': 3 * MiB, 'b.bin': 3 * MiB, 'c.bin': 3 * MiB }));
    const backup = await session.commit({ app: null });
    const locksNow = () => (repo.backend as Backend).list('locks');
    let pieces = 0;
    let piecesWithoutLock = 0;
    const seen: Promise<void>[] = [];
    await repo.restoreVolume(backup.id, 'data', join(dir, 'out'), () => {
      pieces++;
      seen.push(locksNow().then((held) => void (held.length === 0 && piecesWithoutLock++)));
    });
    await Promise.all(seen);
    assert.ok(pieces > 3);
    assert.equal(piecesWithoutLock, 0, 'no piece was written after the lock was released (prune could have removed its pack)');
    assert.deepEqual(await locksNow(), []);

    // Damage the pack holding c.bin's last chunk: the restore rejects, and nothing rejects unobserved.
    const packs = (await (repo.backend as Backend).list('data')).sort();
    const victim = join(location, ...packs[packs.length - 1].split('/'));
    const bytes = await fs.readFile(victim);
    bytes[Math.floor(bytes.length / 3)] ^= 0xff;
    await fs.writeFile(victim, bytes);
    const unobserved: unknown[] = [];
    const onUnhandled = (reason: unknown) => unobserved.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await assert.rejects(repo.restoreVolume(backup.id, 'data', join(dir, 'out2')), DamagedChunkError);
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(unobserved, []);
    assert.deepEqual(await locksNow(), []);
  });

  it('a crash between pack write and index write leaves a repository that opens, and checks clean after prune', async () => {
    const location = join(dir, 'repo');
    const good = await Repository.init(location, PASS, SMALL_PACKS);
    let session = await good.beginBackup();
    await session.writeDirectory('data', await sourceWith({ 'kept.bin': 3 * MiB }, 'src1'));
    const kept = await session.commit({ app: null });

    const crashing = await Repository.open(new CrashBeforeIndexBackend(location), PASS, SMALL_PACKS);
    session = await crashing.beginBackup();
    await session.writeDirectory('data', await sourceWith({ 'lost.bin': 5 * MiB }, 'src2'));
    await assert.rejects(session.commit({ app: null }), /simulated crash/);
    // The "dead" process also leaves a temporary file behind.
    await fs.writeFile(join(location, 'data', '.tmp-crashed'), 'half a pack');

    const reopened = await Repository.open(location, PASS);
    assert.deepEqual(
      (await reopened.listBackups()).map((b) => b.id),
      [kept.id],
    );
    const before = await reopened.check();
    assert.equal(before.ok, true, JSON.stringify(before.problems));
    assert.ok(before.problems.some((p) => p.severity === 'warning' && /not in any index/.test(p.message)));

    const pruned = await reopened.prune();
    assert.ok(pruned.unindexedPacksDeleted >= 2, JSON.stringify(pruned));
    const after = await reopened.check();
    assert.deepEqual(after.problems, []);
    await reopened.restoreVolume(kept.id, 'data', join(dir, 'out'));
    assert.equal(await sha256File(join(dir, 'out', 'kept.bin')), await sha256File(join(dir, 'src1', 'kept.bin')));
  });

  it('prune shrinks the repository (dropping and repacking packs) and every remaining backup restores', async () => {
    const location = join(dir, 'repo');
    const repo = await Repository.init(location, PASS, SMALL_PACKS);
    const src = await sourceWith({ 'shared.bin': 1 * MiB, 'one.bin': 4 * MiB });
    let session = await repo.beginBackup();
    await session.writeDirectory('data', src);
    const first = await session.commit({ app: { n: 1 } });

    await fs.rm(join(src, 'one.bin'));
    await writeRandomFile(join(src, 'two.bin'), 4 * MiB);
    session = await repo.beginBackup();
    await session.writeDirectory('data', src);
    const second = await session.commit({ app: { n: 2 }, parent: first.id });

    await writeRandomFile(join(src, 'three.bin'), 300 * 1024);
    session = await repo.beginBackup();
    await session.writeDirectory('data', src);
    const third = await session.commit({ app: { n: 3 }, parent: second.id });

    await repo.deleteBackup(first.id);
    const sizeBefore = await repo.storageBytes();
    const report = await repo.prune();
    const sizeAfter = await repo.storageBytes();
    assert.ok(report.packsDeleted + report.packsRepacked >= 1, JSON.stringify(report));
    assert.ok(sizeAfter < sizeBefore - 3.5 * MiB, `before ${sizeBefore}, after ${sizeAfter}`);
    assert.equal(report.missingBlobs, 0);
    assert.deepEqual((await repo.check()).problems, []);

    for (const backup of [second, third]) {
      const out = join(dir, `out-${backup.id}`);
      await repo.restoreVolume(backup.id, 'data', out);
      for (const file of ['shared.bin', 'two.bin']) assert.equal(await sha256File(join(out, file)), await sha256File(join(src, file)));
    }
    // A second prune finds nothing more to do.
    const again = await repo.prune();
    assert.equal(again.packsDeleted + again.packsRepacked + again.unindexedPacksDeleted, 0);
  });

  it('prune waits for, or refuses to run next to, a running backup', async () => {
    const location = join(dir, 'repo');
    const repo = await Repository.init(location, PASS);
    const other = await Repository.open(location, PASS);
    const session = await repo.beginBackup();
    await session.writeDirectory('data', await sourceWith({ 'x.bin': MiB }));
    await assert.rejects(other.prune(), RepositoryLockedError);
    const waiting = other.prune({ lockWaitMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const backup = await session.commit({ app: null });
    await waiting;
    // Prune ran after the commit: the new backup's data survived.
    await other.restoreVolume(backup.id, 'data', join(dir, 'out'));
    assert.equal(await sha256File(join(dir, 'out', 'x.bin')), await sha256File(join(dir, 'src', 'x.bin')));
    assert.deepEqual(await (other.backend as Backend).list('locks'), []);
  });
});
