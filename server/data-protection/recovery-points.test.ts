import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseManifests } from '../../core/manifests';
import type { AppManifest } from '../../core/manifests';
import { InMemoryLedgerStore, Ledger } from '../../core/reservations';
import { Scheduler } from '../../core/scheduler';
import { BerthError, HTTP_STATUS } from '../../lib/errors';
import { ClusterContext } from '../cluster-context';
import type { BackupRecord, RecoveryPointRecord } from '../store/records';
import { SqliteClusterStore } from '../store/sqlite-cluster-store';
import { boundClaim, pluginReport, readyNode, readyVolume } from '../store/test-records';
import { BackupService } from './backups';
import { RecoveryPoints } from './recovery-points';
import { Repositories } from './repositories';

/**
 * The recovery-point controller against a real SQLite store, with a stand-in CSI controller (the real
 * plugins and hooks are covered by integration/orchestrator/snapshot-restore.test.ts): what its sync
 * decides from a record alone — take an intent, undo one whose steps had started, finish a delete —
 * and that an interrupted backup waits for its recovery point to be undone first.
 */
const APP_YAML = `kind: App
name: db
spec:
  instances: 1
  image: busybox:local
  volumes: [{ name: data, mountPath: /data, claim: { storageClass: fast, size: 64Mi } }]
`;
const PASSPHRASE = 'recovery point test passphrase';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('recovery-point controller (real store, stand-in CSI controller)', function () {
  this.timeout(60_000);
  let dir: string;
  let store: SqliteClusterStore;
  let ctx: ClusterContext;
  let points: RecoveryPoints;
  /** Every CSI call, as `<method> <name or snapshot id>`. */
  const calls: string[] = [];
  let createDelayMs = 0;
  let failDelete = false;

  const intent = (id: string, patch: Partial<RecoveryPointRecord>): RecoveryPointRecord => {
    const app = store.apps.get('db')!;
    return {
      id,
      app: 'db',
      generation: app.generation,
      spec: app.spec,
      claims: [store.claims.get('db/data/0')!],
      storageClasses: [],
      reservations: [],
      snapshots: [
        {
          claimId: 'db/data/0',
          template: 'data',
          instance: 0,
          plugin: 'berth.local',
          nodeId: 'n1',
          csiName: `berth-${id}-0`,
          sourceVolumeId: 'v0',
          sourceCsiVolumeId: 'csi-0',
          sizeBytes: 1 << 20,
        },
      ],
      hooks: [],
      consistency: 'crash-consistent',
      state: 'creating',
      createdAt: new Date().toISOString(),
      ...patch,
    };
  };

  /** A restarted server: a new controller over the same store. */
  const restart = async () => {
    await points.stop();
    points = new RecoveryPoints(ctx);
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-rp-'));
    store = new SqliteClusterStore(join(dir, 'berth.db'));
    const ledger = new Ledger(new InMemoryLedgerStore());
    ctx = new ClusterContext(store, ledger, new Scheduler(ledger), pino({ level: 'silent' }), { nodeDownAfterMs: 15_000 });
    ctx.controllerFor = (() => ({
      controller: async (method: string, req: { name?: string; snapshotId?: string }) => {
        calls.push(`${method} ${req.name ?? req.snapshotId}`);
        if (method === 'CreateSnapshot') {
          await sleep(createDelayMs);
          return { snapshot: { snapshotId: `snap-${req.name}`, sizeBytes: '0' } };
        }
        if (method === 'DeleteSnapshot' && failDelete) throw new Error('the plugin is busy');
        return {};
      },
      groupController: async () => {
        throw new Error('no group controller');
      },
    })) as unknown as ClusterContext['controllerFor'];
    store.nodes.put('n1', readyNode('n1', [pluginReport('berth.local', { csiNodeId: 'n1', controllerCapabilities: ['CREATE_DELETE_SNAPSHOT'] })]));
    const app = parseManifests(APP_YAML)[0]!.manifest as AppManifest;
    store.apps.put('db', { name: 'db', spec: app.spec, generation: 1, deleting: false, createdAt: new Date().toISOString() });
    store.claims.put('db/data/0', boundClaim('db', 0, 'v0'));
    store.volumes.put('v0', readyVolume('v0', 'db/data/0', 'n1'));
    points = new RecoveryPoints(ctx);
    points.start();
  });

  after(async () => {
    await points?.stop();
    ctx?.close();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('create writes the intent and answers with the record its controller made ready; a second create meanwhile is refused (409)', async () => {
    createDelayMs = 300;
    const first = points.create('db');
    const second = points.create('db');
    await assert.rejects(second, (e: unknown) => e instanceof BerthError && HTTP_STATUS[e.code] === 409 && /already being taken/.test(e.message));
    const rp = await first;
    createDelayMs = 0;
    assert.equal(rp.state, 'ready');
    assert.equal(rp.snapshots[0]!.csiSnapshotId, `snap-berth-${rp.id}-0`);
    assert.deepEqual(store.recoveryPoints.get(rp.id), rp);
    assert.ok(store.events('app/db').some((e) => e.reason === 'SnapshotCreated' && e.message.includes(rp.id)));
  });

  it('delete goes through the controller: a failure answers 424 and stays recorded; the next delete finishes it', async () => {
    const [rp] = store.recoveryPoints.list();
    const snapshotId = rp!.snapshots[0]!.csiSnapshotId!;
    failDelete = true;
    await assert.rejects(
      points.delete(rp!.id),
      (e: unknown) =>
        e instanceof BerthError &&
        HTTP_STATUS[e.code] === 424 &&
        e.message === `cannot delete every snapshot of recovery point ${rp!.id}: ${snapshotId}: the plugin is busy`,
    );
    assert.equal(store.recoveryPoints.get(rp!.id)?.state, 'deleting');
    // Its failure was recorded (a change of its record): it is synced once more at once, then waits out a back-off.
    await points.idle();
    failDelete = false;
    assert.equal(await points.delete(rp!.id), `recovery point ${rp!.id} deleted`);
    assert.equal(store.recoveryPoints.get(rp!.id), undefined);
    assert.ok(calls.includes(`DeleteSnapshot ${snapshotId}`));
  });

  it('after a restart, a creating record whose steps had started is undone; one whose steps had not is taken', async () => {
    await points.stop();
    calls.length = 0;
    // Crashed after CreateSnapshot was sent: the id never reached the store, so it is found again by name.
    const interrupted = intent('rp-interrupted', { snapshotsStarted: true });
    store.recoveryPoints.put(interrupted.id, interrupted);
    points = new RecoveryPoints(ctx);
    points.start();
    await points.idle();
    const undone = store.recoveryPoints.get(interrupted.id)!;
    assert.equal(undone.state, 'failed');
    assert.equal(undone.message, 'interrupted by a server restart; snapshots removed');
    assert.deepEqual(undone.snapshots, []);
    assert.deepEqual(calls, ['CreateSnapshot berth-rp-interrupted-0', 'DeleteSnapshot snap-berth-rp-interrupted-0']);
    assert.ok(store.events('app/db').some((e) => e.reason === 'SnapshotFailed' && e.message.includes(interrupted.id)));

    await restart();
    const fresh = intent('rp-fresh', {});
    store.recoveryPoints.put(fresh.id, fresh);
    points.start();
    await points.idle();
    assert.equal(store.recoveryPoints.get(fresh.id)?.state, 'ready');
    assert.equal(store.recoveryPoints.get(fresh.id)?.snapshots[0]?.csiSnapshotId, 'snap-berth-rp-fresh-0');
    for (const id of [interrupted.id, fresh.id]) await points.delete(id);
  });

  it('an interrupted backup waits until its recovery point is undone, then is failed and its recovery point deleted', async () => {
    await points.stop();
    const repositories = new Repositories(ctx);
    await repositories.add({ name: 'main', location: join(dir, 'repo'), passphrase: PASSPHRASE, init: true });
    const rp = intent('rp-of-backup', { snapshotsStarted: true });
    const backup: BackupRecord = {
      id: '20260101T000000Z-0000bbbb',
      app: 'db',
      repository: 'main',
      state: 'snapshotting',
      volumes: [],
      startedAt: new Date().toISOString(),
      recoveryPointId: rp.id,
    };
    store.transaction(() => {
      store.recoveryPoints.put(rp.id, rp);
      store.backups.put(backup.id, backup);
    });
    points = new RecoveryPoints(ctx);
    const backups = new BackupService(ctx, points, repositories);
    backups.start(); // before the recovery points' controller: the backup must wait for it by itself
    await backups.idle();
    await sleep(100);
    assert.equal(store.backups.get(backup.id)?.state, 'snapshotting', 'not settled while its recovery point is creating');
    points.start();
    await points.idle();
    await backups.idle();
    const settled = store.backups.get(backup.id)!;
    assert.equal(settled.state, 'failed');
    assert.match(settled.message!, /interrupted by a server restart/);
    assert.equal(store.recoveryPoints.get(rp.id), undefined, 'its recovery point was undone, then deleted');
    const events = store.events('app/db');
    const undone = events.findIndex((e) => e.reason === 'SnapshotFailed' && e.message.includes(rp.id));
    const failed = events.findIndex((e) => e.reason === 'BackupFailed' && e.message.includes(backup.id));
    assert.ok(undone >= 0 && failed > undone, 'undone before the backup was settled');
    await backups.stop();
  });
});
