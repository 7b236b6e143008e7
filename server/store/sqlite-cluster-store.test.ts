import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteClusterStore } from './sqlite-cluster-store';

describe('server store (SQLite)', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'berth-store-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps committed records across a reopen, and a failed transaction writes nothing', () => {
    const file = join(dir, 'data', 'berth.db');
    const store = new SqliteClusterStore(file);
    store.secrets.put('db', { name: 'db', data: { password: 'x' } });
    assert.throws(() => store.transaction(() => {
      store.secrets.put('other', { name: 'other', data: {} });
      throw new Error('refused half-way');
    }), /refused half-way/);
    store.close();
    const reopened = new SqliteClusterStore(file);
    assert.deepEqual(reopened.secrets.list().map((s) => s.name), ['db']);
    reopened.close();
    // It holds secrets: owner-only.
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'data')).mode & 0o777, 0o700);
  });

  it('trims old events so a restart loop cannot grow the database forever', () => {
    const store = new SqliteClusterStore(join(dir, 'berth.db'), 10);
    for (let i = 1; i <= 2500; i++) store.appendEvent({ object: 'task/a-0', reason: 'Restarted', message: `restart ${i}` });
    const kept = store.events(undefined, 100_000);
    assert.ok(kept.length < 1100, `${kept.length} events kept`);
    assert.equal(kept[kept.length - 1].message, 'restart 2500', 'the newest event is kept');
    assert.ok(!kept.some((e) => e.message === 'restart 1'), 'the oldest events are trimmed');
    store.close();
  });
});
