import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureSecretFile, newSecret, readSecretFile, secretHash, secretsEqual } from './secrets';

describe('secrets: token files for their owner only', () => {
  let dir: string;
  let umask: number;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-secrets-'));
    // The most permissive umask: the modes must not depend on it.
    umask = process.umask(0);
  });
  afterEach(() => {
    process.umask(umask);
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes a random base64url token of 32 bytes at first use, in a 0600 file inside a 0700 directory', () => {
    const path = join(dir, 'data', 'api-token');
    const token = ensureSecretFile(path);
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(token, 'base64url').length, 32);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'data')).mode & 0o777, 0o700);
    assert.equal(readFileSync(path, 'utf8'), `${token}\n`);
    assert.equal(ensureSecretFile(path), token, 'the same token at the next start');
    assert.notEqual(newSecret(), newSecret());
  });

  it('narrows a token file others could read to 0600, and refuses one without a token', () => {
    const path = join(dir, 'join-token');
    writeFileSync(path, 'abc\n');
    chmodSync(path, 0o644);
    assert.equal(ensureSecretFile(path), 'abc');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    writeFileSync(join(dir, 'empty'), '\n');
    assert.throws(() => readSecretFile(join(dir, 'empty')), /holds no token/);
    writeFileSync(join(dir, 'two'), 'a b\n');
    assert.throws(() => readSecretFile(join(dir, 'two')), /one token on one line/);
  });

  it('compares secrets whole, and hashes them one way', () => {
    assert.ok(secretsEqual('sekrit', 'sekrit'));
    assert.ok(!secretsEqual('sekrit', 'sekri'));
    assert.ok(!secretsEqual('sekrit', ''));
    assert.equal(secretHash('a'), secretHash('a'));
    assert.notEqual(secretHash('a'), secretHash('b'));
    assert.match(secretHash('a'), /^[0-9a-f]{64}$/);
  });
});
