import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoreChange } from './cluster-store';
import type { TaskRecord } from './records';
import { SqliteClusterStore } from './sqlite-cluster-store';

describe('server store (SQLite)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps committed records across a reopen, and a failed transaction writes nothing', () => {
    const file = join(dir, 'data', 'berth.db');
    const store = new SqliteClusterStore(file);
    store.secrets.put('db', { name: 'db', data: { password: 'x' } });
    assert.throws(
      () =>
        store.transaction(() => {
          store.secrets.put('other', { name: 'other', data: {} });
          throw new Error('refused half-way');
        }),
      /refused half-way/,
    );
    store.close();
    const reopened = new SqliteClusterStore(file);
    assert.deepEqual(
      reopened.secrets.list().map((s) => s.name),
      ['db'],
    );
    reopened.close();
    // It holds secrets: owner-only.
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'data')).mode & 0o777, 0o700);
  });

  it('trims old events so a restart loop cannot grow the database forever', () => {
    const store = new SqliteClusterStore(join(dir, 'berth.db'), { eventsKept: 10 });
    for (let i = 1; i <= 2500; i++) store.appendEvent({ object: 'task/a-0', reason: 'Restarted', message: `restart ${i}` });
    const kept = store.events(undefined, 100_000);
    assert.ok(kept.length < 1100, `${kept.length} events kept`);
    assert.equal(kept[kept.length - 1].message, 'restart 2500', 'the newest event is kept');
    assert.ok(!kept.some((e) => e.message === 'restart 1'), 'the oldest events are trimmed');
    store.close();
  });
});

describe('server store: cache, indexes and change feed', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const task = (id: string, nodeId: string | undefined, state: TaskRecord['state'] = 'running'): TaskRecord => ({
    id,
    app: id.split('-')[0],
    instance: Number(id.split('-')[1]),
    generation: 1,
    nodeId,
    state,
    restarts: 0,
    updatedAt: '2026-01-01T00:00:00Z',
  });

  it('announces each committed write once, with its revision, and nothing for a rolled-back or unchanged one', () => {
    const store = new SqliteClusterStore(join(dir, 'berth.db'));
    const seen: StoreChange[] = [];
    store.watch((changes) => seen.push(...changes));
    store.transaction(() => {
      store.tasks.put('a-0', task('a-0', 'n1'));
      store.tasks.put('a-1', task('a-1', 'n2'));
      assert.equal(seen.length, 0, 'nothing is announced before the commit');
    });
    assert.deepEqual(
      seen.map((c) => [c.kind, c.id, c.revision]),
      [
        ['task', 'a-0', 1],
        ['task', 'a-1', 1],
      ],
    );
    assert.throws(() =>
      store.transaction(() => {
        store.tasks.put('a-2', task('a-2', 'n1'));
        throw new Error('no');
      }),
    );
    store.tasks.put('a-0', task('a-0', 'n1'));
    assert.equal(seen.length, 2, 'a rolled-back write and a put that changes nothing are not announced');
    store.tasks.put('a-0', task('a-0', 'n3'));
    assert.equal(seen[2].revision, 2);
    assert.equal((seen[2].before as TaskRecord).nodeId, 'n1');
    assert.equal((seen[2].after as TaskRecord).nodeId, 'n3');
    store.tasks.delete('a-1');
    assert.equal(seen[3].after, undefined);
    assert.equal(store.revision, 3);
    store.close();
    assert.equal(new SqliteClusterStore(join(dir, 'berth.db')).revision, 3, 'the revision survives a reopen');
  });

  it('answers index queries from memory, and a transaction reads its own writes before they are committed', () => {
    const store = new SqliteClusterStore(join(dir, 'berth.db'));
    store.transaction(() => {
      for (let i = 0; i < 6; i++) store.tasks.put(`a-${i}`, task(`a-${i}`, `n${i % 2}`));
    });
    assert.deepEqual(
      store.tasks.where('node', 'n1').map((t) => t.id),
      ['a-1', 'a-3', 'a-5'],
    );
    store.transaction(() => {
      store.tasks.put('a-1', task('a-1', 'n0', 'stopping'));
      store.tasks.delete('a-3');
      store.tasks.put('b-0', task('b-0', 'n1'));
      assert.deepEqual(
        store.tasks.where('node', 'n1').map((t) => t.id),
        ['a-5', 'b-0'],
      );
      assert.deepEqual(
        store.tasks.where('state', 'stopping').map((t) => t.id),
        ['a-1'],
      );
      assert.equal(store.tasks.get('a-3'), undefined);
      assert.equal(store.tasks.list().length, 6);
      assert.throws(() =>
        store.transaction(() => {
          store.tasks.put('c-0', task('c-0', 'n1'));
          throw new Error('inner');
        }),
      );
      assert.equal(store.tasks.get('c-0'), undefined, 'an inner transaction that failed leaves nothing');
      assert.deepEqual(
        store.tasks.where('node', 'n1').map((t) => t.id),
        ['a-5', 'b-0'],
        'nor does it show in an index',
      );
      store.tasks.put('b-1', task('b-1', 'n1'));
      store.tasks.put('b-1', task('b-1', 'n0'));
      assert.deepEqual(
        store.tasks.where('node', 'n1').map((t) => t.id),
        ['a-5', 'b-0'],
        'a record written twice is found by its latest values only',
      );
      store.tasks.delete('b-1');
    });
    assert.deepEqual(
      store.tasks.where('node', 'n1').map((t) => t.id),
      ['a-5', 'b-0'],
    );
    assert.deepEqual(
      store.tasks.where('app', 'a').map((t) => t.id),
      ['a-0', 'a-1', 'a-2', 'a-4', 'a-5'],
    );
    store.close();
    const reopened = new SqliteClusterStore(join(dir, 'berth.db'));
    assert.deepEqual(
      reopened.tasks.where('node', 'n0').map((t) => t.id),
      ['a-0', 'a-1', 'a-2', 'a-4'],
    );
    reopened.close();
  });

  it('serves the serialized list from memory, in step with every commit and with an open transaction', () => {
    const store = new SqliteClusterStore(join(dir, 'berth.db'));
    const asJson = () => JSON.stringify(store.tasks.list());
    assert.equal(store.tasks.listJson(), '[]');
    store.transaction(() => {
      for (const id of ['b-0', 'a-1', 'a-0']) store.tasks.put(id, task(id, 'n0'));
    });
    assert.equal(store.tasks.listJson(), asJson());
    assert.deepEqual(
      (JSON.parse(store.tasks.listJson()) as TaskRecord[]).map((t) => t.id),
      ['a-0', 'a-1', 'b-0'],
    );
    store.tasks.put('a-1', task('a-1', 'n1', 'stopping'));
    assert.equal(store.tasks.listJson(), asJson(), 'a committed change shows in the next answer');
    store.transaction(() => {
      store.tasks.delete('a-0');
      assert.equal(store.tasks.listJson(), asJson(), 'a transaction sees its own writes');
      assert.equal((JSON.parse(store.tasks.listJson()) as TaskRecord[]).length, 2);
    });
    store.close();
    const reopened = new SqliteClusterStore(join(dir, 'berth.db'));
    assert.equal(reopened.tasks.listJson(), JSON.stringify(reopened.tasks.list()), 'and the same after a reopen');
    reopened.close();
  });

  it('hands out frozen records: changing one without a put fails instead of corrupting the cache', () => {
    const store = new SqliteClusterStore(join(dir, 'berth.db'));
    const written = task('a-0', 'n1');
    store.tasks.put('a-0', written);
    written.state = 'failed';
    assert.equal(store.tasks.get('a-0')!.state, 'running', 'the store keeps its own copy of what was put');
    assert.throws(() => {
      (store.tasks.get('a-0') as TaskRecord).state = 'failed';
    }, TypeError);
    store.close();
  });

  it('group-commits the transactions of one moment: one revision, each durable when its promise resolves, a failing one undoes only itself', async () => {
    const file = join(dir, 'berth.db');
    const store = new SqliteClusterStore(file);
    const seen: StoreChange[][] = [];
    store.watch((changes) => seen.push([...changes]));
    const results = await Promise.allSettled([
      store.commitSoon(() => {
        store.tasks.put('a-0', task('a-0', 'n1'));
        return 'first';
      }),
      store.commitSoon(() => {
        store.tasks.put('a-1', task('a-1', 'n1'));
        throw new Error('refused');
      }),
      store.commitSoon(() => store.tasks.get('a-0')?.id),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.equal((results[2] as PromiseFulfilledResult<string>).value, 'a-0', 'a later function sees the earlier ones of its batch');
    assert.equal(seen.length, 1, 'one commit for the batch');
    assert.deepEqual(
      seen[0].map((c) => c.id),
      ['a-0'],
    );
    store.close();
    const reopened = new SqliteClusterStore(file);
    assert.deepEqual(
      reopened.tasks.list().map((t) => t.id),
      ['a-0'],
    );
    reopened.close();
  });

  it('writes events with the next commit, and shows them to readers at once', () => {
    const store = new SqliteClusterStore(join(dir, 'berth.db'));
    store.appendEvent({ object: 'task/a-0', reason: 'Placed', message: 'placed on n1' });
    assert.deepEqual(
      store.events('task/a-0').map((e) => e.reason),
      ['Placed'],
    );
    store.transaction(() => store.appendEvent({ object: 'task/a-0', reason: 'Running', message: 'running' }));
    assert.deepEqual(
      store.events('task/a-0').map((e) => e.reason),
      ['Placed', 'Running'],
    );
    store.close();
  });
});
