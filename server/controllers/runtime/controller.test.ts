import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { StoreChange } from '../../store/cluster-store';
import type { ScheduleRecord } from '../../store/records';
import { SqliteClusterStore } from '../../store/sqlite-cluster-store';
import { Controller } from './controller';

const schedule = (name: string, cron = '0 * * * *'): ScheduleRecord => ({
  name,
  app: 'db',
  cron,
  repository: 'main',
  keep: 1,
  fromApp: false,
  createdAt: '2026-01-01T00:00:00Z',
});

describe('controller runtime: controller', () => {
  let dir: string;
  let store: SqliteClusterStore;
  const log = pino({ level: 'silent' });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-controller-'));
    store = new SqliteClusterStore(join(dir, 'berth.db'));
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('on start, queues every existing object of its kinds, through keysOf like any change', async () => {
    store.schedules.put('a', schedule('a'));
    store.schedules.put('b', schedule('b'));
    store.backups.put('x', { id: 'x', app: 'db', repository: 'main', state: 'ready', volumes: [], startedAt: '2026-01-01T00:00:00Z', schedule: 'c' });
    const seen: StoreChange[] = [];
    const synced: string[] = [];
    const c = new Controller({
      name: 'test',
      store,
      log,
      kinds: ['schedule', 'backup'],
      keysOf: (change) => {
        seen.push(change);
        if (change.kind === 'backup') return change.after?.schedule ? [change.after.schedule] : [];
        return [change.id];
      },
      sync: async (key) => {
        synced.push(key);
      },
    });
    c.start();
    await c.idle();
    assert.deepEqual(synced.sort(), ['a', 'b', 'c']);
    assert.ok(
      seen.every((s) => s.before === undefined && s.after !== undefined),
      'existing objects come as creates',
    );
    await c.stop();
  });

  it('maps committed changes of its kinds to keys and syncs each once; other kinds are not its business', async () => {
    const synced: string[] = [];
    const kinds: string[] = [];
    const c = new Controller({
      name: 'test',
      store,
      log,
      kinds: ['schedule'],
      keysOf: (change) => {
        kinds.push(change.kind);
        return [change.id];
      },
      sync: async (key) => {
        synced.push(key);
      },
    });
    c.start();
    store.transaction(() => {
      store.schedules.put('a', schedule('a'));
      store.schedules.put('a', schedule('a', '5 * * * *'));
      store.secrets.put('s', { name: 's', data: {} });
    });
    await c.idle();
    assert.deepEqual(synced, ['a']);
    assert.deepEqual(kinds, ['schedule'], 'the secret never reached keysOf');
    store.schedules.delete('a');
    await c.idle();
    assert.deepEqual(synced, ['a', 'a'], 'a delete is a change too');
    await c.stop();
    store.schedules.put('b', schedule('b'));
    await c.idle();
    assert.deepEqual(synced, ['a', 'a'], 'nothing after stop');
  });

  it('retries a failing sync after a back-off; a throwing keysOf is logged, not fatal', async () => {
    let attempts = 0;
    const c = new Controller({
      name: 'test',
      store,
      log,
      kinds: ['schedule'],
      keysOf: (change) => {
        if (change.id === 'bad') throw new Error('cannot map');
        return [change.id];
      },
      sync: async () => {
        if (++attempts < 3) throw new Error('not yet');
      },
      queue: { baseDelayMs: 5, maxDelayMs: 20 },
    });
    c.start();
    store.schedules.put('bad', schedule('bad'));
    store.schedules.put('a', schedule('a'));
    for (let i = 0; i < 100 && attempts < 3; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(attempts, 3);
    await c.stop();
  });

  it('retryOf tells a sync which attempt it is and the back-off that follows if it throws', async () => {
    const seen: { attempt: number; delayMs: number }[] = [];
    const c: Controller = new Controller({
      name: 'test',
      store,
      log,
      kinds: ['schedule'],
      keysOf: (change) => [change.id],
      sync: async (key) => {
        seen.push(c.retryOf(key));
        if (seen.length < 3) throw new Error('not yet');
      },
      queue: { baseDelayMs: 5, maxDelayMs: 8 },
    });
    c.start();
    store.schedules.put('a', schedule('a'));
    for (let i = 0; i < 100 && seen.length < 3; i++) await new Promise((r) => setTimeout(r, 5));
    await c.idle();
    assert.deepEqual(seen, [
      { attempt: 1, delayMs: 5 },
      { attempt: 2, delayMs: 8 },
      { attempt: 3, delayMs: 8 },
    ]);
    assert.deepEqual(c.retryOf('a'), { attempt: 1, delayMs: 5 }, 'a success starts over');
    await c.stop();
  });

  it('stop waits for the sync under way', async () => {
    let finished = false;
    const c = new Controller({
      name: 'test',
      store,
      log,
      kinds: ['schedule'],
      keysOf: (change) => [change.id],
      sync: async () => {
        await new Promise((r) => setTimeout(r, 50));
        finished = true;
      },
    });
    c.start();
    store.schedules.put('a', schedule('a'));
    await new Promise((r) => setImmediate(r));
    await c.stop();
    assert.equal(finished, true);
  });
  it('stop() aborts the syncs under way and waits for them, or for its grace at most', async () => {
    let sawAbort = false;
    const c = new Controller({
      name: 'test',
      store,
      log,
      kinds: ['schedule'],
      keysOf: (change) => [change.id],
      sync: (key, signal) =>
        new Promise<void>((resolve) => {
          // 'a' honours its signal; 'b' ignores it (the grace must end the wait).
          if (key === 'a')
            signal.addEventListener('abort', () => {
              sawAbort = true;
              resolve();
            });
        }),
      queue: { concurrency: 2 },
    });
    c.start();
    store.schedules.put('a', schedule('a'));
    store.schedules.put('b', schedule('b'));
    await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    await c.stop(200);
    assert.ok(sawAbort, 'the sync was told to give up');
    assert.ok(Date.now() - started < 2000, 'a sync ignoring its signal holds stop() for the grace only');
    assert.ok(c.isStopped);
  });
});
