import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteClusterStore } from './sqlite-cluster-store';
import { boundClaim } from './test-records';

describe('server store: secrets sealed at rest', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-sealing-'));
    file = join(dir, 'berth.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** The bodies as SQLite holds them: what a copy of the database file gives away. */
  const rawBodies = (): Map<string, string> => {
    const db = new Database(file, { readonly: true });
    try {
      return new Map(
        (db.prepare('SELECT kind, id, body FROM objects').all() as { kind: string; id: string; body: string }[]).map((r) => [`${r.kind}/${r.id}`, r.body]),
      );
    } finally {
      db.close();
    }
  };

  const repository = {
    name: 'offsite',
    location: '/srv/repo',
    passphrase: 'correct horse battery staple',
    repositoryId: 'r1',
    createdAt: '2026-01-01T00:00:00Z',
  };

  it('keeps Secret values and repository passphrases only as ciphertext in the database, and reads them back after a reopen', () => {
    const old = process.umask(0);
    try {
      const store = new SqliteClusterStore(file);
      store.secrets.put('db', { name: 'db', data: { password: 's3cr3t-value' } });
      store.repositories.put('offsite', repository);
      store.claims.put('db/data/0', boundClaim('db', 0, 'vol-1'));
      store.close();
    } finally {
      process.umask(old);
    }
    const raw = rawBodies();
    for (const key of ['secret/db', 'repository/offsite']) {
      assert.match(raw.get(key)!, /^berth-sealed:v1:/, `${key} is sealed`);
      assert.doesNotMatch(raw.get(key)!, /s3cr3t-value|correct horse/);
    }
    assert.match(raw.get('claim/db/data/0')!, /^\{/, 'records without secrets stay plain JSON');
    assert.equal(statSync(join(dir, 'store.key')).mode & 0o777, 0o600, 'the key is for its owner only, also under umask 0');
    const reopened = new SqliteClusterStore(file);
    assert.deepEqual(reopened.secrets.get('db')?.data, { password: 's3cr3t-value' });
    assert.equal(reopened.repositories.get('offsite')?.passphrase, repository.passphrase);
    reopened.close();
    assert.notEqual(rawBodies().get('secret/db'), undefined);
  });

  it('seals at first open what an older version stored plain', () => {
    new SqliteClusterStore(file).close();
    const db = new Database(file);
    db.prepare('INSERT INTO objects (kind, id, body) VALUES (?, ?, ?)').run(
      'secret',
      'legacy',
      JSON.stringify({ name: 'legacy', data: { token: 'plain-before' } }),
    );
    db.close();
    const store = new SqliteClusterStore(file);
    assert.deepEqual(store.secrets.get('legacy')?.data, { token: 'plain-before' });
    store.close();
    assert.match(rawBodies().get('secret/legacy')!, /^berth-sealed:v1:/);
  });

  it('refuses to open with a missing or different key instead of making a new one, naming the key file', () => {
    const store = new SqliteClusterStore(file);
    store.secrets.put('db', { name: 'db', data: { password: 'x' } });
    store.close();
    const keyFile = join(dir, 'store.key');
    const before = rawBodies();
    unlinkSync(keyFile);
    assert.throws(
      () => new SqliteClusterStore(file),
      (e: Error) => e.message.includes(keyFile) && /missing/.test(e.message),
    );
    writeFileSync(keyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
    assert.throws(
      () => new SqliteClusterStore(file),
      (e: Error) => e.message.includes(keyFile) && /does not open secret db/.test(e.message),
    );
    assert.deepEqual(rawBodies(), before, 'nothing was rewritten');
  });

  it("uses the operator's key file when given one", () => {
    const keyFile = join(dir, 'operator.key');
    writeFileSync(keyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
    const store = new SqliteClusterStore(file, { keyFile });
    store.secrets.put('db', { name: 'db', data: { password: 'x' } });
    store.close();
    assert.throws(() => statSync(join(dir, 'store.key')), /ENOENT/, 'no second key beside the database');
    const reopened = new SqliteClusterStore(file, { keyFile });
    assert.deepEqual(reopened.secrets.get('db')?.data, { password: 'x' });
    reopened.close();
    writeFileSync(keyFile, 'too-short');
    assert.throws(() => new SqliteClusterStore(file, { keyFile }), /expected 32 bytes of base64/);
  });
});
