import * as grpc from '@grpc/grpc-js';
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { BackupVolumeResult } from '../../agent/data-mover-types';
import { encodeBackupResult } from '../../agent/data-mover-result';
import { Repository } from '../../backup/repository';
import { parseManifests } from '../../core/manifests';
import type { AppManifest } from '../../core/manifests';
import { InMemoryLedgerStore, Ledger } from '../../core/reservations';
import { Scheduler } from '../../core/scheduler';
import { BerthError, HTTP_STATUS } from '../../lib/errors';
import { loadAgentProto } from '../../proto/berth/load';
import type { AgentNodeHandlers } from '../../proto/berth/generated/berth/agent/v1/AgentNode';
import type { BackupVolumeRequest__Output } from '../../proto/berth/generated/berth/agent/v1/BackupVolumeRequest';
import { BACKUP_METADATA_KIND, parseBackupMetadata } from './backup-metadata';
import { BackupSchedules } from './backup-schedules';
import { BackupService, RecoveryPointTaker } from './backups';
import { ClusterContext } from '../cluster-context';
import type { BackupRecord, RecoveryPointRecord } from '../store/records';
import { Repositories } from './repositories';
import { SqliteClusterStore } from '../store/sqlite-cluster-store';

/**
 * The backup service in-process against a real SQLite store, a real repository and a gRPC AgentNode
 * whose BackupVolume writes a directory (standing for the snapshot) into that repository with the
 * repository library, as the agent's data mover does. Recovery points are a stand-in that records
 * them in the store (their CSI side is covered by the recovery-point e2e tests). This covers the
 * service's own logic — manifest, metadata, parents, progress, failure, list, delete, retention,
 * resume — while the real data mover (h/mover) is not merged yet.
 */
const PASSPHRASE = 'service test passphrase';
const APP_YAML = `kind: App
name: db
spec:
  instances: 2
  image: busybox:local
  volumes: [{ name: data, mountPath: /data, claim: { storageClass: fast, size: 64Mi } }]
`;

describe('backup service (in-process, real store and repository, stand-in data mover)', function () {
  this.timeout(120_000);
  let dir: string;
  let store: SqliteClusterStore;
  let ctx: ClusterContext;
  let repositories: Repositories;
  let service: BackupService;
  let schedules: BackupSchedules;
  let server: grpc.Server;
  const requests: BackupVolumeRequest__Output[] = [];
  /** Snapshot ids whose move fails, and a delay for every move. */
  const failing = new Set<string>();
  let moveDelayMs = 0;
  let rpCount = 0;
  const sources = new Map<string, string>();

  const points: RecoveryPointTaker = {
    check: (app) => {
      const a = store.apps.get(app);
      if (!a) throw new Error('no app');
      return a;
    },
    create: async (app, onStarted) => {
      const id = `rp-${++rpCount}`;
      const a = store.apps.get(app)!;
      const rp: RecoveryPointRecord = {
        id,
        app,
        generation: a.generation,
        spec: a.spec,
        claims: [],
        storageClasses: [],
        reservations: [],
        hooks: [],
        consistency: 'crash-consistent',
        state: 'ready',
        createdAt: new Date().toISOString(),
        snapshots: [0, 1].map((i) => ({
          claimId: `db/data/${i}`,
          template: 'data',
          instance: i,
          plugin: 'berth.local',
          nodeId: 'n1',
          csiName: `${id}-${i}`,
          csiSnapshotId: `snap-${id}-${i}`,
          sourceVolumeId: `vol-${i}`,
          sourceCsiVolumeId: `csi-${i}`,
          sizeBytes: 1 << 20,
        })),
      };
      store.recoveryPoints.put(id, rp);
      onStarted?.(id);
      for (const s of rp.snapshots) sources.set(s.csiSnapshotId!, join(dir, 'src', String(s.instance)));
      return rp;
    },
    delete: async (id) => {
      store.recoveryPoints.delete(id);
      return `deleted ${id}`;
    },
  };

  /** What the agent's mover does: read the snapshot (here a directory), write it in its own session, answer the entry. */
  const mover: AgentNodeHandlers['BackupVolume'] = (call) => {
    const req = call.request;
    requests.push(req);
    void (async () => {
      await new Promise((r) => setTimeout(r, moveDelayMs));
      if (failing.has(req.snapshotId)) throw new Error(`snapshot ${req.snapshotId} cannot be read`);
      const repo = await Repository.open(req.repository!.location, req.repository!.passphrase);
      const session = await repo.beginBackup();
      await session.writeDirectory(req.volumeName, sources.get(req.snapshotId)!);
      const [entry] = await session.finishVolumes();
      call.write({ bytesDone: String(entry.stats.bytesRead), bytesTotal: String(entry.size), filesDone: '1', done: false });
      const result: BackupVolumeResult = {
        entry,
        changeMarker: `gen-${requests.length}`,
        path: 'fast',
        changeDetection: req.parentBackupId ? 'parent-compare' : 'full',
      };
      call.write({ bytesDone: String(entry.size), bytesTotal: String(entry.size), filesDone: '1', done: true, result: { backup: encodeBackupResult(result) } });
      call.end();
    })().catch((e: Error) => call.emit('error', { code: grpc.status.FAILED_PRECONDITION, details: e.message }));
  };

  const waitState = async (id: string, states: string[]): Promise<BackupRecord> => {
    for (let i = 0; i < 400; i++) {
      const b = store.backups.get(id);
      if (b && states.includes(b.state)) return b;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`backup ${id} never reached ${states.join('/')}: ${JSON.stringify(store.backups.get(id))}`);
  };
  const repo = () => repositories.handle('main');
  const locks = () => readdirSync(join(dir, 'repo', 'locks'));
  /** Bytes of every file in the repository directory. */
  const repoFileBytes = () =>
    readdirSync(join(dir, 'repo'), { recursive: true, encoding: 'utf8' })
      .map((name) => statSync(join(dir, 'repo', name)))
      .reduce((sum, st) => sum + (st.isFile() ? st.size : 0), 0);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-backups-'));
    for (const i of [0, 1]) {
      mkdirSync(join(dir, 'src', String(i)), { recursive: true });
      writeFileSync(join(dir, 'src', String(i), 'blob'), Buffer.alloc(256 * 1024, i + 1));
    }
    store = new SqliteClusterStore(join(dir, 'berth.db'));
    const ledger = new Ledger(new InMemoryLedgerStore());
    ctx = new ClusterContext(store, ledger, new Scheduler(ledger), pino({ level: 'silent' }), { nodeDownAfterMs: 15_000 });
    server = new grpc.Server();
    server.addService(loadAgentProto().berth.agent.v1.AgentNode.service, { BackupVolume: mover } as unknown as AgentNodeHandlers);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    store.nodes.put('n1', {
      id: 'n1',
      address: `127.0.0.1:${port}`,
      labels: {},
      cpuCores: 2,
      memoryBytes: 1 << 30,
      runtime: 'process',
      plugins: [],
      lastSyncMs: Date.now(),
      reportedAtMs: Date.now(),
      state: 'ready',
    });
    const app = parseManifests(APP_YAML)[0]!.manifest as AppManifest;
    store.apps.put('db', { name: 'db', spec: app.spec, generation: 1, deleting: false, createdAt: new Date().toISOString() });
    repositories = new Repositories(ctx);
    await repositories.add({ name: 'main', location: join(dir, 'repo'), passphrase: PASSPHRASE, init: true });
    service = new BackupService(ctx, points, repositories, { progressWriteMs: 0 });
    service.start();
    schedules = new BackupSchedules(ctx, service, repositories);
    schedules.start();
  });

  after(async () => {
    await schedules?.stop();
    server?.forceShutdown();
    ctx?.close();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers at once, then commits one manifest with the app metadata and deletes the recovery point', async () => {
    const started = await service.create('db');
    assert.equal(started.state, 'snapshotting');
    assert.equal(started.origin, 'cluster');
    const b = await waitState(started.id, ['ready', 'failed']);
    assert.equal(b.state, 'ready', b.message);
    assert.equal(b.repoBackupId, started.id, 'the record id is the manifest id');
    assert.deepEqual(
      b.volumes.map((v) => [v.volume, v.state, v.nodeId]),
      [
        ['data-0', 'done', 'n1'],
        ['data-1', 'done', 'n1'],
      ],
    );
    assert.ok(b.volumes.every((v) => v.changeMarker?.startsWith('gen-') && v.bytesNew! > 0));
    const manifest = await (await repo()).getBackup(b.id);
    assert.deepEqual(manifest.tags, ['app:db']);
    assert.deepEqual(
      manifest.volumes.map((v) => v.name),
      ['data-0', 'data-1'],
    );
    const meta = parseBackupMetadata(manifest.app, manifest.id);
    assert.equal(meta.kind, BACKUP_METADATA_KIND);
    assert.equal(meta.app, 'db');
    assert.equal(meta.recoveryPoint, b.recoveryPointId);
    assert.deepEqual(
      meta.volumes.map((v) => [v.volume, v.claimId, v.sourceVolumeId, v.changeMarker]),
      b.volumes.map((v) => [v.volume, v.claimId, v.sourceVolumeId, v.changeMarker]),
    );
    assert.equal(store.recoveryPoints.list().length, 0, 'recovery point deleted');
    assert.deepEqual(locks(), [], 'the shared lock is released');
    const req = requests[0]!;
    assert.equal(req.operationId, b.id);
    assert.equal(req.repository!.passphrase, PASSPHRASE);
    assert.equal(req.parentBackupId, '');
    assert.ok(!JSON.stringify(await service.get(b.id)).includes(PASSPHRASE), 'the API view holds no passphrase');
    const view = await service.get(b.id);
    assert.ok(view.progress.bytesDone > 0 && view.progress.bytesDone === view.progress.bytesTotal, JSON.stringify(view.progress));
  });

  it('makes the next backup of the same source volumes incremental to the last ready one', async () => {
    const first = store.backups.list()[0]!;
    requests.length = 0;
    const b = await waitState((await service.create('db')).id, ['ready', 'failed']);
    assert.equal(b.state, 'ready', b.message);
    assert.equal(b.parent, first.id);
    for (const r of requests) {
      assert.equal(r.parentBackupId, first.id);
      assert.equal(r.parentChangeMarker, first.volumes.find((v) => v.volume === r.volumeName)!.changeMarker);
    }
    assert.equal((await (await repo()).getBackup(b.id)).parent, first.id);
  });

  it('records what a backup read, what was new after dedup, and what the repository grew on disk', async () => {
    const added = join(dir, 'src', '0', 'log.txt');
    writeFileSync(added, Buffer.from('level=info msg="request served" status=200\n'.repeat(24 * 1024)));
    try {
      const before = repoFileBytes();
      const b = await waitState((await service.create('db')).id, ['ready', 'failed']);
      assert.equal(b.state, 'ready', b.message);
      const grew = repoFileBytes() - before;
      assert.equal(b.bytesStored, grew, 'stored = what the repository directory grew by');
      assert.ok(b.bytesRead! > 1024 * 1024 && b.bytesNew! >= 1024 * 1024, JSON.stringify(b));
      assert.ok(grew < b.bytesNew! / 4, `stored ${grew} of ${b.bytesNew} new bytes: compressed`);
      const data0 = b.volumes.find((v) => v.volume === 'data-0')!;
      assert.ok(data0.bytesStored! > 0 && data0.bytesStored! < grew, JSON.stringify(data0));
      const manifest = await (await repo()).getBackup(b.id);
      assert.equal(manifest.stats.bytesStored, grew);
      assert.deepEqual(
        b.volumes.map((v) => v.bytesStored),
        manifest.volumes.map((v) => v.stats.bytesStored),
      );
    } finally {
      rmSync(added);
    }
  });

  it('refuses a second backup of the app while one runs (409), and deleting a running one', async () => {
    moveDelayMs = 1500;
    const running = await service.create('db');
    await assert.rejects(service.create('db'), new RegExp(`backup ${running.id} of app db is still running`));
    await assert.rejects(service.delete(running.id), /is still running/);
    assert.equal((await waitState(running.id, ['ready', 'failed'])).state, 'ready');
    moveDelayMs = 0;
  });

  it('a failing volume fails the backup with its name and cause, commits nothing, keeps no recovery point or lock', async () => {
    failing.add(`snap-rp-${rpCount + 1}-1`);
    const b = await waitState((await service.create('db')).id, ['ready', 'failed']);
    failing.clear();
    assert.equal(b.state, 'failed');
    assert.match(
      b.message!,
      /backup of app db failed: volume data-1 \(claim db\/data\/1 on node n1\): BackupVolume on node n1: snapshot snap-rp-\d+-1 cannot be read/,
    );
    await assert.rejects((await repo()).getBackup(b.id), /not found|BackupNotFound/i);
    assert.equal(store.recoveryPoints.list().length, 0);
    assert.deepEqual(locks(), []);
    assert.ok(store.events('app/db').some((e) => e.reason === 'BackupFailed' && e.message.includes(b.id)));
    // A failed backup is never a parent.
    requests.length = 0;
    const next = await waitState((await service.create('db')).id, ['ready', 'failed']);
    assert.notEqual(next.parent, b.id);
  });

  it('lists backups found only in the repository (origin: repository) and deletes them', async () => {
    const ready = store.backups.list().filter((b) => b.state === 'ready');
    const orphan = ready[ready.length - 1]!;
    store.backups.delete(orphan.id); // as in a new cluster that has only the repository
    const listed = await service.list();
    const found = listed.find((b) => b.id === orphan.id)!;
    assert.equal(found.origin, 'repository');
    assert.equal(found.state, 'ready');
    assert.equal(found.app, 'db');
    assert.deepEqual(
      found.volumes.map((v) => v.claimId),
      ['db/data/0', 'db/data/1'],
    );
    assert.equal((await service.get(orphan.id)).origin, 'repository');
    assert.deepEqual((await service.list('other')).length, 0);
    await service.delete(orphan.id);
    await assert.rejects(service.get(orphan.id), /not found/);
    await assert.rejects(service.delete(orphan.id), /not found/);
  });

  it('retention keeps the newest `keep` ready backups of a schedule, deleting the others from the repository', async () => {
    schedules.create({ name: 'hourly', app: 'db', cron: '0 * * * *', keep: 2 });
    const made: string[] = [];
    for (let i = 0; i < 4; i++) {
      await schedules.fire('hourly');
      const s = schedules.get('hourly');
      assert.equal(s.lastError, undefined);
      made.push(s.lastBackup!);
      await waitState(s.lastBackup!, ['ready']);
      await schedules.idle(); // retention runs after `ready`
    }
    const kept = store.backups
      .list()
      .filter((b) => b.schedule === 'hourly')
      .map((b) => b.id)
      .sort();
    assert.deepEqual(kept, made.slice(2).sort());
    const inRepo = (await (await repo()).listBackups()).map((m) => m.id);
    for (const id of made.slice(0, 2)) assert.ok(!inRepo.includes(id), `${id} deleted from the repository`);
    for (const id of made.slice(2)) assert.ok(inRepo.includes(id));
    assert.ok(store.events('schedule/hourly').some((e) => e.reason === 'RetentionApplied'));
    schedules.delete('hourly');
  });

  it('a schedule firing while the previous backup still runs skips that run', async () => {
    schedules.create({ name: 'busy', app: 'db', cron: '0 * * * *', keep: 5 });
    moveDelayMs = 1000;
    await schedules.fire('busy');
    const first = schedules.get('busy').lastBackup!;
    await schedules.fire('busy');
    assert.equal(schedules.get('busy').lastBackup, first);
    assert.ok(store.events('schedule/busy').some((e) => e.reason === 'BackupSkipped'));
    await waitState(first, ['ready']);
    moveDelayMs = 0;
    schedules.delete('busy');
  });

  it('node-cron fires a schedule with a seconds field; stopping the schedules stops the firing', async () => {
    schedules.create({ name: 'every-second', app: 'db', cron: '* * * * * *', keep: 1 });
    const ofSchedule = () => store.backups.list().filter((b) => b.schedule === 'every-second');
    const running = () => ofSchedule().some((b) => b.state !== 'ready' && b.state !== 'failed');
    for (let i = 0; i < 100 && ofSchedule().filter((b) => b.state === 'ready').length < 1; i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 2500));
    // Deleted between two backups, with no firing under way and retention done: a backup that ended after
    // the delete would no longer be the schedule's to retain (its backups stay), and `keep 1` would not hold.
    for (let i = 0; i < 200; i++) {
      await schedules.idle();
      if (!running()) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    schedules.delete('every-second');
    const firings = () => store.events('app/db').filter((e) => e.reason === 'BackupStarted' && e.message.includes('(schedule every-second)')).length;
    const started = firings();
    for (let i = 0; i < 100 && running(); i++) await new Promise((r) => setTimeout(r, 50));
    await schedules.idle(); // the delete's sync (job stopped) and any retention under way are done
    assert.ok(started >= 2, `fired more than once (${started})`);
    assert.equal(ofSchedule().filter((b) => b.state === 'ready').length, 1, 'keep 1');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(firings(), started, 'no firing after delete');
  });

  it('a restarted server applies retention by the same path as normal work: starting syncs every schedule', async () => {
    await schedules.stop(); // the server stops…
    const old = (i: number): BackupRecord => ({
      id: `20250101T00000${i}Z-catchup`,
      app: 'db',
      repository: 'main',
      state: 'ready',
      volumes: [],
      startedAt: `2025-01-01T00:00:0${i}Z`,
      schedule: 'catchup',
    });
    store.transaction(() => {
      // …with more ready backups than its schedule keeps (their retention had not run yet).
      for (const i of [1, 2, 3]) store.backups.put(old(i).id, old(i));
      store.schedules.put('catchup', {
        name: 'catchup',
        app: 'db',
        cron: '0 0 1 1 *',
        repository: 'main',
        keep: 1,
        fromApp: false,
        createdAt: new Date().toISOString(),
      });
    });
    schedules = new BackupSchedules(ctx, service, repositories); // …and starts again
    schedules.start();
    await schedules.idle();
    assert.deepEqual(
      store.backups
        .list()
        .filter((b) => b.schedule === 'catchup')
        .map((b) => b.id),
      [old(3).id],
    );
    assert.ok(store.events('schedule/catchup').some((e) => e.reason === 'RetentionApplied'));
    schedules.delete('catchup');
    await schedules.idle();
    assert.equal(store.backups.get(old(3).id)?.state, 'ready', 'a deleted schedule leaves its backups');
    store.backups.delete(old(3).id);
  });

  it('resume: an interrupted backup becomes failed (recovery point deleted), or ready if its manifest was committed', async () => {
    const rp = await points.create('db');
    const committed = store.backups.list().find((b) => b.state === 'ready')!;
    const interrupted: BackupRecord = {
      id: '20260101T000000Z-0000aaaa',
      app: 'db',
      repository: 'main',
      state: 'uploading',
      volumes: [],
      startedAt: new Date().toISOString(),
      recoveryPointId: rp.id,
    };
    store.backups.put(interrupted.id, interrupted);
    // A record left `uploading` whose manifest exists: committed just before the crash.
    store.backups.put(committed.id, { ...committed, state: 'uploading', repoBackupId: undefined });
    await service.idle(); // the controller settles them as it does after a restart
    const failed = store.backups.get(interrupted.id)!;
    assert.equal(failed.state, 'failed');
    assert.match(failed.message!, /interrupted by a server restart/);
    assert.equal(store.recoveryPoints.get(rp.id), undefined, 'its recovery point is deleted');
    const ready = store.backups.get(committed.id)!;
    assert.equal(ready.state, 'ready');
    assert.equal(ready.repoBackupId, committed.id);
  });

  // Last: it stops the service.
  it('a server shutting down cancels a running backup and settles it before its store closes: failed, no lock, no recovery point', async () => {
    moveDelayMs = 3_000; // the movers are slow: the backup is uploading when the server stops
    const started = await service.create('db');
    const uploading = await waitState(started.id, ['uploading']);
    const stopping = Date.now();
    await service.stop();
    assert.ok(Date.now() - stopping < 2_500, 'stop cancelled the movers rather than waiting them out');
    const settled = store.backups.get(started.id)!;
    assert.equal(settled.state, 'failed');
    assert.match(settled.message ?? '', /cancel/i);
    assert.deepEqual(locks(), [], 'the shared lock is released (it would block prune)');
    assert.equal(store.recoveryPoints.get(uploading.recoveryPointId!), undefined, 'the recovery point is gone');
    await assert.rejects(
      service.create('db'),
      (e: unknown) => e instanceof BerthError && HTTP_STATUS[e.code] === 503,
      'no backup starts once the server is stopping',
    );
    moveDelayMs = 0;
  });
});
