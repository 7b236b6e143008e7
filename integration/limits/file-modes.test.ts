import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import pino from 'pino';
import { AgentLocalState } from '../../agent/local-state';
import { Repository } from '../../backup/repository/repository';
import { ensurePrivateDir, ensurePrivateFile } from '../../lib/files/private-files';
import { openPool } from '../../plugins/local/pool-open';
import { readStateFile, writeStateFile } from '../../plugins/sdk/state-file';
import { SqliteClusterStore } from '../../server/store/sqlite-cluster-store';
import { cleanupUnder } from '../harness/cleanup';
import { hasCommand, tempDir } from '../harness/fs-helpers';

/** Every file and directory below `root` (root included) that is not owner-only, as "path mode". */
function notPrivate(root: string): string[] {
  const out: string[] = [];
  const walk = (path: string) => {
    const st = lstatSync(path);
    const mode = st.mode & 0o777;
    if (st.isDirectory()) {
      if (mode !== 0o700) out.push(`${relative(root, path) || '.'}/ ${mode.toString(8)}`);
      for (const name of readdirSync(path)) walk(join(path, name));
    } else if (st.isFile() && mode !== 0o600) out.push(`${relative(root, path)} ${mode.toString(8)}`);
  };
  walk(root);
  return out;
}

const log = pino({ level: 'silent' });

/** Under umask 0 every mode Berth leaves to the default would be 0666/0777: only explicit modes pass. */
describe('file modes: state, pool images and repositories are for their owner only, also under umask 0', function () {
  this.timeout(120_000);
  let dir: string;
  let umask: number;

  beforeEach(() => {
    dir = tempDir('modes');
    umask = process.umask(0);
  });
  afterEach(() => {
    process.umask(umask);
    cleanupUnder(dir);
  });

  it('lib/files: ensurePrivateFile and ensurePrivateDir create 0600/0700 and close what existed', () => {
    const open = join(dir, 'open');
    mkdirSync(open, { mode: 0o777 });
    writeFileSync(join(open, 'f'), 'x', { mode: 0o666 });
    ensurePrivateDir(open);
    ensurePrivateFile(join(open, 'f'));
    ensurePrivateDir(join(dir, 'new', 'deeper'));
    ensurePrivateFile(join(dir, 'new', 'deeper', 'g'));
    assert.deepEqual(notPrivate(open), []);
    assert.deepEqual(notPrivate(join(dir, 'new')), []);
  });

  it('server store: its directory, database and WAL files', () => {
    const store = new SqliteClusterStore(join(dir, 'server', 'berth.db'));
    try {
      store.transaction(() => store.apps.delete('nothing'));
      assert.deepEqual(notPrivate(join(dir, 'server')), []);
    } finally {
      store.close();
    }
  });

  it('agent state and plugin state files', () => {
    const agent = new AgentLocalState(join(dir, 'agent'));
    agent.save();
    assert.equal(readStateFile(join(dir, 'plugin', 'state.json')), undefined); // makes its directory, as a plugin's start does
    writeStateFile(join(dir, 'plugin', 'state.json'), { version: 1 });
    assert.deepEqual(notPrivate(join(dir, 'agent')), []);
    assert.deepEqual(notPrivate(join(dir, 'plugin')), []);
  });

  it('backup repository: keys, config, packs, indexes, manifests and their directories', async () => {
    const src = join(dir, 'src');
    mkdirSync(src, { mode: 0o700 });
    writeFileSync(join(src, 'a'), 'some data', { mode: 0o600 });
    const location = join(dir, 'repo');
    const repo = await Repository.init(location, 'pass');
    const session = await repo.beginBackup();
    await session.writeDirectory('data', src);
    await session.commit({ app: null });
    assert.deepEqual(notPrivate(location), []);
  });

  it('local plugin: a btrfs pool image', async function () {
    if (!hasCommand('mkfs.btrfs') || process.getuid?.() !== 0) this.skip();
    const image = join(dir, 'pool.img');
    const pool = await openPool({ name: 'p', kind: 'btrfs-file', image, sizeBytes: 128 * 1024 * 1024 }, join(dir, 'state'), log);
    assert.ok(pool);
    assert.equal(lstatSync(image).mode & 0o777, 0o600);
    assert.equal(lstatSync(join(dir, 'state', 'pools')).mode & 0o777, 0o700);
  });

  it('local plugin: an image made world-readable by an older version is closed when the pool opens', async function () {
    if (!hasCommand('mkfs.btrfs') || process.getuid?.() !== 0) this.skip();
    const image = join(dir, 'old.img');
    writeFileSync(image, '', { mode: 0o644 });
    const { execFileSync } = await import('node:child_process');
    execFileSync('truncate', ['-s', String(128 * 1024 * 1024), image]);
    execFileSync('mkfs.btrfs', ['-q', '-f', image]);
    await openPool({ name: 'old', kind: 'btrfs-file', image, sizeBytes: 128 * 1024 * 1024 }, join(dir, 'state'), log);
    assert.equal(lstatSync(image).mode & 0o777, 0o600);
  });
});
