import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, readdirSync, readSync, rmSync, statSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Repository } from '../../backup/repository';
import { tempDir } from '../harness/fs-helpers';
import { BERTH_BIN } from '../harness/plugin-process';

function berthRepo(args: string[], passphrase = 'correct horse'): { code: number; out: string } {
  const r = spawnSync(process.execPath, [BERTH_BIN, 'repo', ...args], { encoding: 'utf8', env: { ...process.env, BERTH_REPO_PASSPHRASE: passphrase } });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** Every file below `dir` with its size, largest first. */
function filesBySize(dir: string): { path: string; size: number }[] {
  const out: { path: string; size: number }[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    if (s.isDirectory()) out.push(...filesBySize(p));
    else out.push({ path: p, size: s.size });
  }
  return out.sort((a, b) => b.size - a.size);
}

describe('berth repo init|check|prune on a real repository', function () {
  this.timeout(120_000);
  let dir: string;
  let location: string;

  before(() => {
    dir = tempDir('repo');
    location = join(dir, 'repo');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a repository once and refuses a second init', () => {
    assert.equal(berthRepo(['init', '--location', location]).code, 0);
    const again = berthRepo(['init', '--location', location]);
    assert.equal(again.code, 4, again.out);
  });

  it('says clearly when the passphrase is wrong, missing, or the repository does not exist', () => {
    const wrong = berthRepo(['check', '--location', location], 'wrong');
    assert.equal(wrong.code, 2);
    assert.match(wrong.out, /passphrase/i);
    const missing = berthRepo(['check', '--location', join(dir, 'nope')]);
    assert.equal(missing.code, 3, missing.out);
    const r = spawnSync(process.execPath, [BERTH_BIN, 'repo', 'check', '--location', location], {
      encoding: 'utf8',
      env: { ...process.env, BERTH_REPO_PASSPHRASE: '' },
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /BERTH_REPO_PASSPHRASE/);
  });

  it('checks clean, then names the pack file a flipped byte damaged', async () => {
    const src = join(dir, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'a.bin'), randomBytes(3 << 20));
    const repo = await Repository.open(location, 'correct horse');
    const session = await repo.beginBackup();
    await session.writeDirectory('data', src);
    await session.commit({ app: { name: 'demo' } });
    const clean = berthRepo(['check', '--location', location]);
    assert.equal(clean.code, 0, clean.out);
    assert.match(clean.out, /^ok: /m);

    const pack = filesBySize(location)[0];
    const fd = openSync(pack.path, 'r+');
    const at = Math.floor(pack.size / 2);
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, at);
    b[0] ^= 0xff;
    writeSync(fd, b, 0, 1, at);
    closeSync(fd);
    const damaged = berthRepo(['check', '--location', location]);
    assert.equal(damaged.code, 1, damaged.out);
    assert.ok(damaged.out.includes(pack.path.split('/').pop()!), `names the damaged pack:\n${damaged.out}`);
    assert.match(damaged.out, /DAMAGED/);
  });

  it('prunes without touching what backups still reference', () => {
    const r = berthRepo(['prune', '--location', location, '--dry-run']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /would remove/);
  });
});
