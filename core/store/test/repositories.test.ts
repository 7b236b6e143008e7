import { strict as assert } from 'node:assert';
import { inspect } from 'node:util';
import Database from 'better-sqlite3';
import { SecretData } from '../../manifests';
import { AlreadyExistsError, NotFoundError, attachmentId, claimId, parseClaimId, storeReferenceLookup, toNodeInfo } from '..';
import type { TaskRecord, VolumeRecord } from '..';
import { checkReferences, parseManifests } from '../../manifests';
import { appSpec, nodeRegistration, storageClassSpec } from './fixtures';
import { tempStore } from './temp-store';
import type { TempStore } from './temp-store';

type NewTask = Omit<TaskRecord, 'version' | 'createdAt' | 'updatedAt'>;
const task = (app: string, instance: number, extra: Partial<NewTask> = {}): NewTask => ({
  id: `${app}-${instance}`,
  app,
  instance,
  desired: 'running',
  state: 'pending',
  restarts: 0,
  appGeneration: 1,
  ...extra,
});

describe('store: repositories', () => {
  let temp: TempStore;
  let clock: number;
  beforeEach(() => {
    clock = 1_000_000;
    temp = tempStore({ now: () => clock });
  });
  afterEach(() => temp.cleanup());

  it('stores tasks with filters by app, node and state, and clears optional fields', async () => {
    const store = temp.store;
    await store.transaction((tx) => {
      tx.tasks.create(task('pg', 0, { nodeId: 'n1', state: 'running', containerId: 'c0' }));
      tx.tasks.create(task('pg', 1, { pending: { summary: '0/1 nodes', reasons: [{ nodeId: 'n1', reason: 'storage-fit', message: 'pool ssd has 40Mi free' }] } }));
      tx.tasks.create(task('web', 0, { nodeId: 'n1', state: 'running' }));
    });
    await store.read((tx) => {
      assert.deepEqual(tx.tasks.list({ app: 'pg' }).map((t) => t.id), ['pg-0', 'pg-1']);
      assert.deepEqual(tx.tasks.list({ nodeId: 'n1', state: 'running' }).map((t) => t.id), ['pg-0', 'web-0']);
      assert.equal(tx.tasks.require('pg-1').pending!.reasons[0]!.reason, 'storage-fit');
      assert.throws(() => tx.tasks.require('nope'), NotFoundError);
    });
    clock += 5;
    const moved = await store.transaction((tx) => tx.tasks.update('pg-0', (t) => ({ nodeId: undefined, containerId: undefined, state: 'pending', restarts: t.restarts + 1 })));
    assert.equal(moved.restarts, 1);
    assert.equal(moved.updatedAt, clock);
    const reread = await store.read((tx) => tx.tasks.require('pg-0'));
    assert.equal('nodeId' in reread, false);
    assert.equal('containerId' in reread, false);
    assert.deepEqual(await store.read((tx) => tx.tasks.list({ nodeId: 'n1' }).map((t) => t.id)), ['web-0']);
    await assert.rejects(store.transaction((tx) => tx.tasks.create(task('pg', 1))), AlreadyExistsError);
    await assert.rejects(store.transaction((tx) => tx.tasks.update('pg-0', { id: 'other' })), /cannot change/);
  });

  it('records volume intents that survive a restart, so a crash mid-provision is found and finished', async () => {
    const volume: Omit<VolumeRecord, 'version' | 'createdAt' | 'updatedAt'> = {
      id: 'vol-1',
      name: 'berth-pg-data-0',
      plugin: 'berth.local',
      requestedBytes: 1024 ** 3,
      accessibleTopology: [],
      volumeContext: {},
      volumeMode: 'filesystem',
      claimId: claimId('pg', 'data', 0),
      reclaimPolicy: 'Delete',
      state: 'creating',
    };
    await temp.store.transaction((tx) => tx.volumes.create(volume));
    const store = await temp.reopen(); // the server died before CreateVolume answered
    const pending = await store.read((tx) => tx.volumes.list({ state: 'creating' }));
    assert.deepEqual(pending.map((v) => [v.id, v.name]), [['vol-1', 'berth-pg-data-0']]);
    await store.transaction((tx) => {
      tx.volumes.update('vol-1', { state: 'available', csiVolumeId: 'csi-123', capacityBytes: 1024 ** 3, nodeId: 'n1', accessibleTopology: [{ 'berth.local/node': 'n1' }] });
      tx.attachments.create({ volumeId: 'vol-1', nodeId: 'n1', state: 'staging', publishContext: {}, readOnly: false });
    });
    await store.read((tx) => {
      assert.equal(tx.volumes.list({ plugin: 'berth.local', csiVolumeId: 'csi-123' })[0]!.id, 'vol-1');
      assert.deepEqual(tx.volumes.list({ claimId: 'pg/data/0' }).map((v) => v.state), ['available']);
      assert.equal(tx.attachments.require(attachmentId('vol-1', 'n1')).state, 'staging');
    });
    // Attachments go with their volume (foreign key, ON DELETE CASCADE).
    await store.transaction((tx) => tx.volumes.delete('vol-1'));
    assert.deepEqual(await store.read((tx) => tx.attachments.list()), []);
  });

  it('keeps snapshots with their group and source', async () => {
    await temp.store.transaction((tx) => {
      tx.snapshots.create({ id: 's1', name: 'berth-s1', plugin: 'berth.local', sourceVolumeId: 'v1', groupId: 'g1', readyToUse: false, state: 'creating' });
      tx.snapshots.create({ id: 's2', name: 'berth-s2', plugin: 'berth.local', sourceVolumeId: 'v2', groupId: 'g1', readyToUse: true, state: 'ready', csiSnapshotId: 'x' });
    });
    assert.deepEqual(await temp.store.read((tx) => tx.snapshots.list({ groupId: 'g1', state: 'ready' }).map((s) => s.id)), ['s2']);
  });

  it('registers nodes, records heartbeats, marks silent nodes down, and keeps the ledger capacity in step', async () => {
    const store = temp.store;
    await store.transaction((tx) => {
      tx.nodes.register(nodeRegistration('n1'));
      tx.nodes.register(nodeRegistration('n2', 2 * 1024 ** 3));
    });
    await store.read((tx) => {
      const state = tx.ledger.nodeState('n2')!;
      assert.equal(state.capacity.poolBytes.get('berth.local/ssd'), 2 * 1024 ** 3);
      assert.equal(state.capacity.attachSlots.get('berth.local'), 16);
      assert.equal(toNodeInfo(tx.nodes.require('n1')).ready, true);
    });
    clock += 30_000;
    await store.transaction((tx) => tx.nodes.heartbeat('n1', { pools: [{ plugin: 'berth.local', pool: 'ssd', capacityBytes: 5, healthy: true }] }));
    const down = await store.transaction((tx) => tx.nodes.markMissing(clock - 10_000));
    assert.deepEqual(down.map((n) => n.id), ['n2']);
    await store.read((tx) => {
      assert.deepEqual(tx.nodes.list({ state: 'down' }).map((n) => n.id), ['n2']);
      assert.equal(tx.ledger.nodeState('n1')!.capacity.poolBytes.get('berth.local/ssd'), 5);
    });
    await store.transaction((tx) => tx.nodes.heartbeat('n2'));
    assert.equal(await store.read((tx) => tx.nodes.require('n2').state), 'ready');
    await assert.rejects(store.transaction((tx) => tx.nodes.heartbeat('ghost')), NotFoundError);
  });

  it('keeps plugin registrations: manifest nodes follow the manifest, agent registrations stay, all go with the plugin', async () => {
    const store = temp.store;
    const spec = { nodes: { n1: { endpoint: 'unix:///a.sock' }, n2: { endpoint: 'unix:///b.sock' } }, pools: [{ pool: 'ssd', parameters: { pool: 'ssd' } }] };
    await store.transaction((tx) => {
      tx.plugins.apply('berth.local', spec);
      tx.plugins.registerNode({ plugin: 'berth.local', nodeId: 'n3', endpoint: 'unix:///c.sock' });
      tx.plugins.registerNode({ plugin: 'vendor.csi', nodeId: 'n1', endpoint: 'unix:///v.sock' }); // no manifest: created
    });
    await store.transaction((tx) => tx.plugins.apply('berth.local', { ...spec, nodes: { n1: { endpoint: 'unix:///a2.sock' } } }));
    await store.transaction((tx) =>
      tx.plugins.setCapabilities('berth.local', { plugin: ['CONTROLLER_SERVICE'], controller: ['CREATE_DELETE_VOLUME'], discoveredAt: clock }),
    );
    await store.read((tx) => {
      assert.deepEqual(
        tx.plugins.nodeRegistrations({ plugin: 'berth.local' }).map((r) => [r.nodeId, r.endpoint, r.source]),
        [['n1', 'unix:///a2.sock', 'manifest'], ['n3', 'unix:///c.sock', 'agent']],
      );
      assert.deepEqual(tx.plugins.nodeRegistrations({ nodeId: 'n1' }).map((r) => r.plugin), ['berth.local', 'vendor.csi']);
      assert.deepEqual(tx.plugins.require('vendor.csi').spec, { nodes: {}, pools: [] });
      assert.deepEqual(tx.plugins.require('berth.local').capabilities!.controller, ['CREATE_DELETE_VOLUME']);
    });
    await store.transaction((tx) => tx.plugins.updateNodeRegistration('berth.local', 'n3', { csiNodeId: 'host-3', topology: { 'berth.local/node': 'host-3' } }));
    await store.transaction((tx) => tx.plugins.delete('berth.local'));
    assert.deepEqual(await store.read((tx) => tx.plugins.nodeRegistrations().map((r) => r.plugin)), ['vendor.csi']);
  });

  it('stores secrets whose values never appear in JSON or inspect output, yet survive a restart', async () => {
    const applied = await temp.store.transaction((tx) => tx.secrets.apply('chap', new SecretData({ user: 'admin', password: 'hunter2' })));
    assert.equal(applied.change, 'created');
    assert.ok(!JSON.stringify(applied.record).includes('hunter2'));
    assert.ok(!inspect(applied.record, { depth: 10 }).includes('hunter2'));
    const store = await temp.reopen();
    const record = await store.read((tx) => tx.secrets.require('chap'));
    assert.deepEqual(JSON.parse(JSON.stringify(record)).data, { password: '<redacted>', user: '<redacted>' });
    assert.deepEqual(record.data.reveal(), { user: 'admin', password: 'hunter2' });
    const again = await store.transaction((tx) => tx.secrets.apply('chap', new SecretData({ password: 'hunter2', user: 'admin' })));
    assert.equal(again.change, 'unchanged');
    const rotated = await store.transaction((tx) => tx.secrets.apply('chap', new SecretData({ user: 'admin', password: 'correct horse' })));
    assert.equal(rotated.change, 'updated');
  });

  it('answers checkReferences from the store, inside the same transaction as the writes', async () => {
    await temp.store.transaction((tx) => {
      tx.plugins.apply('berth.local', { nodes: {}, pools: [] });
      tx.storageClasses.apply('local', storageClassSpec());
    });
    const manifests = parseManifests('kind: App\nname: pg\nspec: {image: x, volumes: [{name: d, mountPath: /d, claim: {storageClass: locl, size: 1Gi}}]}');
    const issues = await temp.store.read((tx) => checkReferences(manifests, storeReferenceLookup(tx)));
    assert.deepEqual(issues.map((i) => `${i.path}: ${i.message}`), ['spec.volumes[0].claim.storageClass: unknown storage class "locl" (did you mean local?)']);
  });

  it('splits and joins composite ids', () => {
    assert.equal(claimId('pg', 'data', 3), 'pg/data/3');
    assert.deepEqual(parseClaimId('pg/data/3'), { app: 'pg', template: 'data', instance: 3 });
    assert.equal(parseClaimId('pg/data'), undefined);
    assert.equal(parseClaimId('pg/data/-1'), undefined);
  });

  it('keeps an app spec intact through JSON (quantities as integers)', async () => {
    await temp.store.transaction((tx) => tx.apps.apply('pg', appSpec()));
    const store = await temp.reopen();
    assert.deepEqual((await store.read((tx) => tx.apps.require('pg'))).spec, appSpec());
  });
});

describe('store: events', () => {
  let temp: TempStore;
  let clock: number;
  beforeEach(() => {
    clock = 5_000;
    temp = tempStore({ now: () => clock++ });
  });
  afterEach(() => temp.cleanup());

  it('keeps events in order per object, returns the latest N oldest-first, and follows with afterSeq', async () => {
    const store = temp.store;
    await store.transaction((tx) => {
      for (let i = 0; i < 5; i++) {
        tx.events.append({ objectKind: 'task', objectId: 'pg-0', type: 'Normal', reason: `Step${i}`, message: `step ${i}` });
        tx.events.append({ objectKind: 'task', objectId: 'pg-1', type: 'Warning', reason: 'FailedScheduling', message: `attempt ${i}` });
      }
    });
    const all = await store.read((tx) => tx.events.forObject('task', 'pg-0'));
    assert.deepEqual(all.map((e) => e.reason), ['Step0', 'Step1', 'Step2', 'Step3', 'Step4']);
    assert.ok(all.every((e, i) => i === 0 || (e.seq > all[i - 1]!.seq && e.time > all[i - 1]!.time)));
    const lastTwo = await store.read((tx) => tx.events.forObject('task', 'pg-0', { limit: 2 }));
    assert.deepEqual(lastTwo.map((e) => e.reason), ['Step3', 'Step4']);
    const after = await store.read((tx) => tx.events.recent({ afterSeq: all[3]!.seq }));
    assert.deepEqual(after.map((e) => `${e.objectId}:${e.reason}`), ['pg-1:FailedScheduling', 'pg-0:Step4', 'pg-1:FailedScheduling']);
    assert.equal((await store.read((tx) => tx.events.recent({ limit: 1000 }))).length, 10);
  });

  it('is append-only: rows cannot be rewritten, only pruned by age', async () => {
    await temp.store.transaction((tx) => tx.events.append({ objectKind: 'app', objectId: 'pg', type: 'Normal', reason: 'Applied', message: 'x', time: 10 }));
    await temp.store.transaction((tx) => tx.events.append({ objectKind: 'app', objectId: 'pg', type: 'Normal', reason: 'Applied', message: 'y', time: 20 }));
    await temp.store.close();
    const raw = new Database(temp.path);
    try {
      assert.throws(() => raw.prepare("UPDATE events SET message = 'forged'").run(), /append-only/);
    } finally {
      raw.close();
    }
    const store = await temp.reopen();
    assert.equal(await store.transaction((tx) => tx.events.pruneBefore(15)), 1);
    assert.deepEqual((await store.read((tx) => tx.events.forObject('app', 'pg'))).map((e) => e.message), ['y']);
  });
});
