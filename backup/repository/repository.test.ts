import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Codec, maybeCompress, preferredCodec } from './compression';
import { BackupNotFoundError, RepositoryExistsError, RepositoryNotFoundError, WrongPassphraseError } from './errors';
import { Repository } from './repository';
import { compressibleData, dirBytes, removeDir, sha256, sha256File, tempDir, writeRandomFile } from './test-helpers';

const PASS = 'correct horse battery staple';

describe('backup repository: basics', function () {
  this.timeout(120_000);
  let dir: string;

  beforeEach(() => {
    dir = tempDir('basics');
  });
  afterEach(async () => removeDir(dir));

  async function makeSource(): Promise<string> {
    const src = join(dir, 'src');
    await fs.mkdir(join(src, 'sub', 'deeper'), { recursive: true });
    await writeRandomFile(join(src, 'random.bin'), 3 * 1024 * 1024 + 17);
    await fs.writeFile(join(src, 'sub', 'log.txt'), compressibleData(2 * 1024 * 1024));
    await fs.writeFile(join(src, 'sub', 'deeper', 'small.txt'), 'hello\n');
    await fs.writeFile(join(src, 'empty'), '');
    await fs.symlink('sub/log.txt', join(src, 'link'));
    await fs.chmod(join(src, 'sub', 'deeper', 'small.txt'), 0o600);
    return src;
  }

  it('commits one manifest from volumes written by separate sessions (data movers on several nodes)', async () => {
    const src = await makeSource();
    const location = join(dir, 'repo');
    const coordinator = await Repository.init(location, PASS);
    const lock = await coordinator.holdSharedLock('backup coordinator');
    try {
      // Two movers, each with its own handle and session, as two agents would have.
      const entries = [];
      for (const name of ['data-0', 'data-1']) {
        const mover = await Repository.open(location, PASS);
        const session = await mover.beginBackup();
        await session.writeDirectory(name, src);
        entries.push(...(await session.finishVolumes()));
      }
      assert.equal((await coordinator.listBackups()).length, 0, 'no backup exists before the manifest');
      await assert.rejects(coordinator.commitManifest({ app: {}, volumes: [{ ...entries[0], tree: '00'.repeat(32) }] }), /not in the repository/);
      const backup = await coordinator.commitManifest({ id: 'chosen-id-1', app: { name: 'pg' }, volumes: entries });
      assert.equal(backup.id, 'chosen-id-1');
      await assert.rejects(coordinator.commitManifest({ id: 'chosen-id-1', app: {}, volumes: entries }), /already exists/);
      const out = join(dir, 'out');
      await coordinator.restoreVolume(backup.id, 'data-1', out);
      assert.equal(await sha256File(join(out, 'random.bin')), await sha256File(join(src, 'random.bin')));
    } finally {
      await lock.release();
    }
    assert.deepEqual((await coordinator.check()).problems, []);
  });

  it('round-trips a directory tree: contents, symlinks, modes', async () => {
    const src = await makeSource();
    const repo = await Repository.init(join(dir, 'repo'), PASS);
    const session = await repo.beginBackup();
    await session.writeDirectory('data', src);
    const backup = await session.commit({ app: { name: 'pg', instances: 1 } });

    const reopened = await Repository.open(join(dir, 'repo'), PASS);
    const listed = await reopened.listBackups();
    assert.deepEqual(
      listed.map((b) => b.id),
      [backup.id],
    );
    assert.deepEqual(listed[0].app, { name: 'pg', instances: 1 });

    const out = join(dir, 'out');
    const restored = await reopened.restoreVolume(backup.id, 'data', out);
    assert.equal(restored.files, 4);
    for (const file of ['random.bin', 'sub/log.txt', 'sub/deeper/small.txt', 'empty']) {
      assert.equal(await sha256File(join(out, file)), await sha256File(join(src, file)), file);
    }
    assert.equal(await fs.readlink(join(out, 'link')), 'sub/log.txt');
    assert.equal((await fs.stat(join(out, 'sub', 'deeper', 'small.txt'))).mode & 0o777, 0o600);

    const pieces: Buffer[] = [];
    for await (const piece of reopened.readFile(backup.id, 'data', 'random.bin')) pieces.push(piece);
    assert.equal(sha256(Buffer.concat(pieces)), await sha256File(join(src, 'random.bin')));
    assert.equal((await reopened.check()).ok, true);
  });

  it('deduplicates: the same data backed up twice adds almost nothing', async () => {
    const src = await makeSource();
    const repo = await Repository.init(join(dir, 'repo'), PASS);
    const first = await repo.beginBackup();
    await first.writeDirectory('data', src);
    const a = await first.commit({ app: null });
    const second = await repo.beginBackup();
    await second.writeDirectory('data', src);
    const b = await second.commit({ app: null, parent: a.id });
    assert.equal(b.stats.chunksNew, 0);
    assert.ok(b.stats.bytesAdded < 2048, `second backup added ${b.stats.bytesAdded} bytes`);
    assert.ok(a.stats.bytesAdded > 3 * 1024 * 1024);
  });

  it('stores incompressible data raw and compresses compressible data', async () => {
    const src = join(dir, 'src');
    await fs.mkdir(src);
    await writeRandomFile(join(src, 'random.bin'), 8 * 1024 * 1024);
    const repo = await Repository.init(join(dir, 'repo'), PASS);
    let session = await repo.beginBackup();
    await session.writeDirectory('data', src);
    const random = await session.commit({ app: null });
    // Raw + 28 bytes of nonce and tag per chunk + headers: within 0.5% of the data.
    assert.ok(random.stats.bytesAdded >= 8 * 1024 * 1024 && random.stats.bytesAdded < 8 * 1024 * 1024 * 1.005, `random added ${random.stats.bytesAdded}`);

    const text = join(dir, 'text');
    await fs.mkdir(text);
    await fs.writeFile(join(text, 'log.txt'), compressibleData(8 * 1024 * 1024));
    session = await repo.beginBackup();
    await session.writeDirectory('logs', text);
    const logs = await session.commit({ app: null });
    assert.ok(logs.stats.bytesAdded < 0.5 * 8 * 1024 * 1024, `text added ${logs.stats.bytesAdded} (codec ${Codec[preferredCodec()]})`);
    const out = join(dir, 'out');
    await repo.restoreVolume(logs.id, 'logs', out);
    assert.equal(await dirBytes(out), 8 * 1024 * 1024);
  });

  it('decides on a sample, so random data costs almost no compression time', () => {
    const random = randomBytes(4 * 1024 * 1024);
    const start = process.hrtime.bigint();
    const result = maybeCompress(random);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    assert.equal(result.codec, Codec.None);
    assert.equal(result.data, random);
    assert.ok(ms < 50, `sampling took ${ms} ms`);
    assert.notEqual(maybeCompress(compressibleData(1 << 20)).codec, Codec.None);
  });

  it('refuses a wrong passphrase, a missing repository, a second init and unknown backups', async () => {
    const location = join(dir, 'repo');
    await Repository.init(location, PASS);
    await assert.rejects(Repository.open(location, 'not it'), WrongPassphraseError);
    await assert.rejects(Repository.open(join(dir, 'nothing-here'), PASS), RepositoryNotFoundError);
    await assert.rejects(Repository.init(location, PASS), RepositoryExistsError);
    const repo = await Repository.open(location, PASS);
    await assert.rejects(repo.getBackup('20240101T000000Z-deadbeef'), BackupNotFoundError);
    await assert.rejects(repo.deleteBackup('20240101T000000Z-deadbeef'), BackupNotFoundError);
  });

  it('never stores plaintext or plaintext hashes', async () => {
    const src = join(dir, 'src');
    await fs.mkdir(src);
    const marker = 'BERTH-SECRET-MARKER-0123456789';
    await fs.writeFile(join(src, 'secret.txt'), marker.repeat(1000));
    const repo = await Repository.init(join(dir, 'repo'), PASS);
    const session = await repo.beginBackup();
    await session.writeDirectory('data', src);
    await session.commit({ app: { note: marker } });
    const plainHash = sha256(Buffer.from(marker.repeat(1000)));
    for (const name of await repo.backend.list('')) {
      const bytes = await repo.backend.read(name);
      assert.equal(bytes.includes(marker), false, `${name} contains plaintext`);
      assert.equal(bytes.includes(Buffer.from(plainHash, 'hex')), false, `${name} contains a plaintext hash`);
      assert.equal(name.includes(plainHash), false);
    }
  });
});
