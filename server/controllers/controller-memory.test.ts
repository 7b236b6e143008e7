import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClaimRecord, TaskRecord } from '../store/records';
import { SqliteClusterStore } from '../store/sqlite-cluster-store';
import { ControllerMemory } from './controller-memory';

const task = (id: string): TaskRecord => ({ id, app: 'web', instance: 0, generation: 1, state: 'running', restarts: 0, updatedAt: '2026-01-01T00:00:00Z' });
const claim = (id: string): ClaimRecord => ({
  id,
  app: 'web',
  template: 'data',
  instance: 0,
  storageClass: 'local',
  sizeBytes: 1,
  accessMode: 'ReadWriteOnce',
  volumeMode: 'filesystem',
  state: 'pending',
  retained: false,
});

describe('controller memory', () => {
  let dir: string;
  let store: SqliteClusterStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-memory-'));
    store = new SqliteClusterStore(join(dir, 'berth.db'));
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('forgets a task or claim once its record is deleted, and keeps what is remembered of the others', () => {
    const memory = new ControllerMemory();
    memory.follow(store);
    store.transaction(() => {
      for (const id of ['web-0', 'web-1']) store.tasks.put(id, task(id));
      for (const id of ['web/data/0', 'web/data/1']) store.claims.put(id, claim(id));
    });
    for (const id of ['web-0', 'web-1', 'web/data/0', 'web/data/1']) memory.lastFailure.set(id, `failed ${id}`);
    for (const id of ['web/data/0', 'web/data/1']) memory.lastWaiting.set(id, `waiting ${id}`);

    store.transaction(() => {
      store.tasks.delete('web-0');
      store.claims.delete('web/data/0');
      // Updates keep the memory: the object is still there.
      store.tasks.put('web-1', { ...task('web-1'), restarts: 1 });
      store.claims.put('web/data/1', { ...claim('web/data/1'), state: 'provisioning' });
    });

    assert.deepEqual([...memory.lastFailure.keys()].sort(), ['web-1', 'web/data/1']);
    assert.deepEqual([...memory.lastWaiting.keys()], ['web/data/1']);
  });

  it('stops pruning once unsubscribed', () => {
    const memory = new ControllerMemory();
    const stop = memory.follow(store);
    store.tasks.put('web-0', task('web-0'));
    memory.lastFailure.set('web-0', 'failed');
    stop();
    store.tasks.delete('web-0');
    assert.equal(memory.lastFailure.get('web-0'), 'failed');
  });
});
