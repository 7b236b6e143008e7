import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppSpec } from '../../core/manifests';
import { AgentCallError } from '../agents/agent-call-error';
import type { StoreChange } from '../store/cluster-store';
import type { ClaimRecord, NodeRecord, RestoreRecord, TaskRecord, VolumeRecord } from '../store/records';
import { SqliteClusterStore } from '../store/sqlite-cluster-store';
import { isTransient } from './data-restore';
import { parseRestoreKey, restoreKeysOf, volumeKey } from './data-restore-keys';

/** Which changes wake which keys of the data-restore controller, against a real store and its real change feed. */

const now = '2026-01-01T00:00:00Z';
const spec = { instances: 2 } as AppSpec;

const claim = (i: number, extra: Partial<ClaimRecord> = {}): ClaimRecord => ({
  id: `db/data/${i}`,
  app: 'db',
  template: 'data',
  instance: i,
  storageClass: 'fast',
  sizeBytes: 1 << 20,
  accessMode: 'single-node-writer',
  volumeMode: 'filesystem',
  state: 'pending',
  retained: false,
  dataRestored: false,
  dataSource: { kind: 'backup', id: 'B1', repository: 'main', volume: `data-${i}`, restoreId: 'rs-1' },
  ...extra,
});
const task = (i: number, extra: Partial<TaskRecord> = {}): TaskRecord => ({
  id: `db-${i}`,
  app: 'db',
  instance: i,
  generation: 1,
  spec,
  state: 'pending',
  restarts: 0,
  updatedAt: now,
  ...extra,
});
const volume = (i: number, extra: Partial<VolumeRecord> = {}): VolumeRecord => ({
  id: `v${i}`,
  plugin: 'berth.local',
  csiName: `x${i}`,
  claimId: `db/data/${i}`,
  capacityBytes: 1 << 20,
  topology: {},
  volumeContext: {},
  state: 'creating',
  createdAt: now,
  ...extra,
});
const node = (state: NodeRecord['state']): NodeRecord => ({
  id: 'n1',
  address: '127.0.0.1:1',
  labels: {},
  cpuCores: 2,
  memoryBytes: 1 << 30,
  runtime: 'docker',
  lastSyncMs: 0,
  reportedAtMs: 0,
  state,
  plugins: [],
});
const restore = (extra: Partial<RestoreRecord> = {}): RestoreRecord => ({
  id: 'rs-1',
  app: 'db',
  source: { kind: 'backup', repository: 'main', backupId: 'B1' },
  storageClassMap: {},
  state: 'restoring',
  volumes: [0, 1].map((i) => ({ claimId: `db/data/${i}`, volume: `data-${i}`, state: 'pending' as const, bytesDone: 0, bytesTotal: 100 })),
  createdAt: now,
  ...extra,
});

describe('data-restore controller: keys and decisions', () => {
  let dir: string;
  let store: SqliteClusterStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-restore-keys-'));
    store = new SqliteClusterStore(join(dir, 'berth.db'));
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The keys the changes of `write` wake, in order, without duplicates. */
  function keysAfter(write: () => void): string[] {
    const changes: StoreChange[] = [];
    const unwatch = store.watch((c) => changes.push(...c));
    try {
      store.transaction(write);
    } finally {
      unwatch();
    }
    return [...new Set(changes.flatMap((c) => restoreKeysOf(store, c)))];
  }

  /** A restore under way: app, two claims, their tasks. */
  function seed(): void {
    store.transaction(() => {
      store.restores.put('rs-1', restore());
      for (const i of [0, 1]) {
        store.claims.put(`db/data/${i}`, claim(i));
        store.tasks.put(`db-${i}`, task(i));
      }
      store.apps.put('db', { name: 'db', spec, generation: 1, deleting: false, createdAt: now });
    });
  }

  it('a volume key names its restore and its claim (claim ids hold slashes, restore ids do not)', () => {
    assert.deepEqual(parseRestoreKey(volumeKey('rs-1', 'db/data/0')), { restoreId: 'rs-1', claimId: 'db/data/0' });
    assert.deepEqual(parseRestoreKey('rs-1'), { restoreId: 'rs-1' });
  });

  it('a new restore wakes itself and its volumes; progress and its own volume states wake nothing; a state change wakes the restore', () => {
    assert.deepEqual(
      keysAfter(() => store.restores.put('rs-1', restore())),
      ['rs-1', 'rs-1/db/data/0', 'rs-1/db/data/1'],
    );
    const running = restore({ volumes: restore().volumes.map((v) => ({ ...v, state: 'running', nodeId: 'n1' })) });
    assert.deepEqual(
      keysAfter(() => store.restores.put('rs-1', running)),
      [],
      'the volume syncs write these themselves',
    );
    assert.deepEqual(
      keysAfter(() => store.restores.put('rs-1', { ...running, volumes: running.volumes.map((v) => ({ ...v, bytesDone: 50 })) })),
      [],
    );
    assert.deepEqual(
      keysAfter(() => store.restores.put('rs-1', { ...running, state: 'rolling-back' })),
      ['rs-1'],
    );
    assert.deepEqual(
      keysAfter(() => store.restores.put('rs-1', { ...running, state: 'failed' })),
      [],
      'a finished restore needs nothing',
    );
    assert.deepEqual(
      keysAfter(() => store.restores.put('rs-2', restore({ id: 'rs-2', source: { kind: 'snapshot', recoveryPointId: 'rp' } }))),
      [],
      'a restore from a snapshot copies no data',
    );
  });

  it('a claim from a backup wakes its restore and its volume until its data is written; then only its deletion does', () => {
    seed();
    assert.deepEqual(
      keysAfter(() => store.claims.put('db/data/0', claim(0, { state: 'bound', volumeId: 'v0' }))),
      ['rs-1', 'rs-1/db/data/0'],
    );
    store.claims.put('db/data/0', claim(0, { state: 'bound', volumeId: 'v0', dataRestored: true }));
    assert.deepEqual(
      keysAfter(() => store.claims.put('db/data/0', claim(0, { state: 'bound', volumeId: 'v1', dataRestored: true }))),
      [],
    );
    assert.deepEqual(
      keysAfter(() => store.claims.delete('db/data/0')),
      ['rs-1', 'rs-1/db/data/0'],
      'a rollback waits for its claims to go',
    );
    assert.deepEqual(
      keysAfter(() => store.claims.put('web/data/0', claim(0, { id: 'web/data/0', app: 'web', dataSource: undefined }))),
      [],
    );
  });

  it("a task's state, node, message or readiness wakes the volumes of its instance still waiting for data and its app's restore under way; other task writes wake nothing", () => {
    seed();
    assert.deepEqual(
      keysAfter(() => store.tasks.put('db-1', task(1, { state: 'assigned', nodeId: 'n1' }))),
      ['rs-1/db/data/1', 'rs-1'],
    );
    assert.deepEqual(
      keysAfter(() => store.tasks.put('db-1', task(1, { state: 'assigned', nodeId: 'n1', updatedAt: '2026-01-02T00:00:00Z' }))),
      [],
    );
    store.claims.put('db/data/1', claim(1, { dataRestored: true }));
    assert.deepEqual(
      keysAfter(() => store.tasks.put('db-1', task(1, { state: 'running', nodeId: 'n1' }))),
      ['rs-1'],
      'its data is written: only the restore, which waits for its instances to run',
    );
    assert.deepEqual(
      keysAfter(() => store.tasks.put('db-1', task(1, { state: 'running', nodeId: 'n1', health: 'healthy' }))),
      ['rs-1'],
      'and to be ready',
    );
    store.restores.put('rs-1', { ...store.restores.get('rs-1')!, state: 'ready' });
    assert.deepEqual(
      keysAfter(() => store.tasks.put('db-1', task(1, { state: 'failed', nodeId: 'n1' }))),
      [],
      'a finished restore is not woken',
    );
  });

  it('a volume wakes its claim if that claim waits for data', () => {
    seed();
    assert.deepEqual(
      keysAfter(() => store.volumes.put('v0', volume(0, { state: 'ready', csiVolumeId: 'c0', nodeId: 'n1' }))),
      ['rs-1/db/data/0'],
    );
    store.claims.put('db/data/0', claim(0, { dataRestored: true }));
    assert.deepEqual(
      keysAfter(() => store.volumes.put('v0', volume(0, { state: 'ready', csiVolumeId: 'c0', nodeId: 'n1', capacityBytes: 2 << 20 }))),
      [],
    );
  });

  it("a node's state change wakes the volumes on it and those its instances will mount (shared storage has no node)", () => {
    seed();
    store.transaction(() => {
      store.nodes.put('n1', node('ready'));
      store.volumes.put('v0', volume(0, { nodeId: 'n1' }));
      store.volumes.put('v1', volume(1)); // shared: written where db-1 runs
      store.tasks.put('db-1', task(1, { state: 'assigned', nodeId: 'n1' }));
    });
    assert.deepEqual(
      keysAfter(() => store.nodes.put('n1', { ...node('ready'), lastSyncMs: 5 })),
      [],
      'the same state',
    );
    assert.deepEqual(
      keysAfter(() => store.nodes.put('n1', node('down'))),
      ['rs-1/db/data/0', 'rs-1/db/data/1'],
    );
  });

  it('an app being deleted or gone wakes its restores under way; its creation and other updates do not', () => {
    assert.deepEqual(
      keysAfter(() => seed()),
      ['rs-1', 'rs-1/db/data/0', 'rs-1/db/data/1'],
      'the restore wakes it all',
    );
    const app = store.apps.get('db')!;
    assert.deepEqual(
      keysAfter(() => store.apps.put('db', { ...app, generation: 2 })),
      [],
    );
    assert.deepEqual(
      keysAfter(() => store.apps.put('db', { ...app, deleting: true })),
      ['rs-1'],
    );
    assert.deepEqual(
      keysAfter(() => store.apps.delete('db')),
      ['rs-1'],
    );
    store.restores.put('rs-1', restore({ state: 'failed' }));
    store.apps.put('db', app);
    assert.deepEqual(
      keysAfter(() => store.apps.delete('db')),
      [],
      'a finished restore is not woken',
    );
  });

  it('a mover failure is transient when the agent or its node is busy, restarting or unreachable; anything else fails the restore', () => {
    const call = (status: grpc.status) => new AgentCallError('n1', status, 'x', 'x');
    for (const s of [grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.RESOURCE_EXHAUSTED, grpc.status.ABORTED, grpc.status.CANCELLED])
      assert.equal(isTransient(call(s)), true, grpc.status[s]);
    for (const s of [grpc.status.DATA_LOSS, grpc.status.NOT_FOUND, grpc.status.INTERNAL, grpc.status.INVALID_ARGUMENT])
      assert.equal(isTransient(call(s)), false, grpc.status[s]);
    assert.equal(isTransient(new Error('UNAVAILABLE')), false, 'only an agent call says');
  });
});
