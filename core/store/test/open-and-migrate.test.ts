import { strict as assert } from 'node:assert';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { Ledger } from '../../reservations';
import { migrate, MIGRATIONS, openSqliteStore, SchemaVersionError } from '..';
import type { Migration } from '..';
import { capacity } from './ledger-contract';
import { tempStore } from './temp-store';
import type { TempStore } from './temp-store';

describe('store: opening and migrations', () => {
  let temp: TempStore;
  beforeEach(() => {
    temp = tempStore();
  });
  afterEach(() => temp.cleanup());

  it('opens with WAL, synchronous=FULL, foreign keys and a busy timeout, in a private file', () => {
    const d = temp.store.diagnostics();
    assert.equal(d.journalMode, 'wal');
    assert.equal(d.synchronous, 'FULL');
    assert.equal(d.foreignKeys, true);
    assert.equal(d.busyTimeoutMs, 5000);
    assert.equal(d.schemaVersion, MIGRATIONS.length);
    assert.equal(statSync(temp.path).mode & 0o777, 0o600);
  });

  it('applies migrations once: reopening changes nothing', async () => {
    await temp.reopen();
    await temp.reopen();
    const raw = new Database(temp.path);
    try {
      const rows = raw.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
      assert.deepEqual(rows, MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
      assert.deepEqual(migrate(raw).applied, []);
    } finally {
      raw.close();
    }
  });

  it('applies only the new migrations of a newer build, and refuses a database from a newer build', () => {
    const path = join(temp.dir, 'upgrade.db');
    const v1: Migration[] = [{ version: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER) STRICT;' }];
    const v2: Migration[] = [...v1, { version: 2, name: 'two', sql: 'ALTER TABLE a ADD COLUMN y TEXT;' }];
    const db = new Database(path);
    try {
      assert.deepEqual(migrate(db, v1).applied, [1]);
      assert.deepEqual(migrate(db, v2).applied, [2]);
      assert.deepEqual(migrate(db, v2).applied, []);
      assert.throws(() => migrate(db, v1), SchemaVersionError);
    } finally {
      db.close();
    }
  });

  it('rolls a failing migration back completely', () => {
    const path = join(temp.dir, 'broken.db');
    const broken: Migration[] = [
      { version: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER) STRICT;' },
      { version: 2, name: 'two', sql: 'CREATE TABLE b (x INTEGER) STRICT; THIS IS NOT SQL;' },
    ];
    const db = new Database(path);
    try {
      assert.throws(() => migrate(db, broken), /syntax error/);
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all();
      assert.deepEqual(tables, [], 'neither migration 1, nor 2, nor the bookkeeping table survived');
    } finally {
      db.close();
    }
  });

  it('refuses to open a database written by a newer build', async () => {
    await temp.store.close();
    const raw = new Database(temp.path);
    raw.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(MIGRATIONS.length + 1, 'future', 0);
    raw.close();
    assert.throws(() => openSqliteStore({ path: temp.path }), SchemaVersionError);
    temp.store = openSqliteStore({ path: join(temp.dir, 'other.db') }); // so cleanup has something to close
  });

  it('never overcommits when separate connections in parallel threads reserve on the same file', async function () {
    this.timeout(60_000);
    await new Ledger(temp.store.ledger).registerNode('n1', capacity(4000, 0, { 'berth.local/ssd': 1000 }));
    const barrier = new SharedArrayBuffer(8);
    const workers = 5;
    const results = Array.from({ length: workers }, (_, worker) => {
      const thread = new Worker(join(__dirname, 'reserve-worker.js'), { workerData: { path: temp.path, worker, reserves: 10, barrier } });
      return new Promise<string[]>((resolve, reject) => {
        thread.once('message', (m: string[] | { error: string }) => (Array.isArray(m) ? resolve(m) : reject(new Error(m.error))));
        thread.once('error', reject);
      });
    });
    const flags = new Int32Array(barrier);
    while (Atomics.load(flags, 1) < workers) await new Promise((r) => setTimeout(r, 5));
    Atomics.store(flags, 0, 1);
    Atomics.notify(flags, 0);
    const statuses = (await Promise.all(results)).flat();
    // 300m each: CPU allows 13; 80 bytes each: the pool allows 12. Exactly 12 of 50 must win.
    assert.equal(statuses.filter((s) => s === 'reserved').length, 12);
    assert.equal(statuses.filter((s) => s === 'insufficient').length, 38);
    const state = (await new Ledger(temp.store.ledger).nodeState('n1'))!;
    assert.equal(state.used.poolBytes.get('berth.local/ssd'), 960);
    assert.equal(state.used.cpuMillis, 3600);
  });
});
