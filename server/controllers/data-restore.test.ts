import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { AppSpec } from '../../core/manifests';
import { InMemoryLedgerStore, Ledger } from '../../core/reservations';
import { Scheduler } from '../../core/scheduler';
import { loadAgentProto } from '../../proto/berth/load';
import type { DataMoverProgress } from '../../proto/berth/generated/berth/agent/v1/DataMoverProgress';
import type { RestoreVolumeRequest__Output } from '../../proto/berth/generated/berth/agent/v1/RestoreVolumeRequest';
import { buildAssignments } from '../agents/assignments';
import { ClusterContext } from '../cluster-context';
import type { RestoreRecord } from '../store/records';
import { SqliteClusterStore } from '../store/sqlite-cluster-store';
import { DataRestorer, mustDeleteOnReclaim } from './data-restore';

/**
 * The data-restore controller against a real store and a real gRPC endpoint speaking the agent's
 * AgentNode.RestoreVolume protocol, whose answers each test scripts (the real mover is exercised by
 * integration/backup/restore-from-backup.test.ts).
 */

type Script = (req: RestoreVolumeRequest__Output, call: grpc.ServerWritableStream<RestoreVolumeRequest__Output, DataMoverProgress>) => void;

const spec: AppSpec = {
  instances: 2,
  runtime: 'docker',
  image: 'busybox',
  command: [],
  env: {},
  resources: { cpuMillis: 100, memoryBytes: 1 << 25 },
  constraints: [],
  volumes: [
    {
      name: 'data',
      mountPath: '/data',
      readOnly: false,
      claim: { storageClass: 'fast', sizeBytes: 1 << 26, accessMode: 'single-node-writer', volumeMode: 'filesystem' },
    },
  ],
  onNodeLost: 'wait',
  retainOnScaleDown: false,
  hooks: { preSnapshot: [], postSnapshot: [] },
} as AppSpec;

const done = (call: grpc.ServerWritableStream<RestoreVolumeRequest__Output, DataMoverProgress>, bytes: number) => {
  call.write({ bytesDone: bytes, bytesTotal: bytes, filesDone: 1 });
  call.write({ bytesDone: bytes, bytesTotal: bytes, filesDone: 1, done: true, result: { restore: { bytes, files: 1, path: 'generic' } } });
  call.end();
};
const fail = (call: grpc.ServerWritableStream<RestoreVolumeRequest__Output, DataMoverProgress>, code: grpc.status, details: string) =>
  call.emit('error', { code, details });

describe('data-restore controller: real store, real gRPC agent endpoint', function () {
  this.timeout(30_000);
  let dir: string;
  let store: SqliteClusterStore;
  let ctx: ClusterContext;
  let server: grpc.Server;
  let address: string;
  let script: Script;
  const requests: RestoreVolumeRequest__Output[] = [];
  let restorer: DataRestorer | undefined;

  before(async () => {
    server = new grpc.Server();
    server.addService(loadAgentProto().berth.agent.v1.AgentNode.service, {
      RestoreVolume: (call: grpc.ServerWritableStream<RestoreVolumeRequest__Output, DataMoverProgress>) => {
        requests.push(call.request);
        script(call.request, call);
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    address = `127.0.0.1:${port}`;
  });
  after(() => server.forceShutdown());

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-data-restore-'));
    store = new SqliteClusterStore(join(dir, 'berth.db'));
    const ledger = new Ledger(new InMemoryLedgerStore());
    ctx = new ClusterContext(store, ledger, new Scheduler(ledger), pino({ level: 'silent' }), { nodeDownAfterMs: 15_000 });
    requests.length = 0;
    seed();
  });
  afterEach(async () => {
    await restorer?.stop();
    restorer = undefined;
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** An app restored from backup B1: two claims bound to ready volumes on n1, tasks provisioned ('assigned'). */
  function seed(): void {
    const now = new Date().toISOString();
    store.transaction(() => {
      store.nodes.put('n1', {
        id: 'n1',
        address,
        labels: {},
        cpuCores: 2,
        memoryBytes: 1 << 30,
        runtime: 'docker',
        lastSyncMs: Date.now(),
        reportedAtMs: Date.now(),
        state: 'ready',
        plugins: [
          {
            name: 'berth.local',
            endpoint: 'unix:///nowhere',
            healthy: true,
            error: '',
            topology: {},
            csiNodeId: 'n1',
            maxVolumes: '0',
            pools: [],
            pluginCapabilities: [],
            controllerCapabilities: [],
            nodeCapabilities: [],
          },
        ],
      });
      store.repositories.put('main', { name: 'main', location: '/backups/main', passphrase: 'sekrit', repositoryId: 'r1', createdAt: now });
      store.secrets.put('stage', { name: 'stage', data: { stageKey: 's' } });
      store.secrets.put('publish', { name: 'publish', data: { publishKey: 'p' } });
      store.storageClasses.put('fast', {
        name: 'fast',
        spec: {
          plugin: 'berth.local',
          bindingMode: 'WaitForFirstConsumer',
          reclaimPolicy: 'Retain',
          allowExpansion: false,
          parameters: {},
          mountOptions: ['noatime'],
          stageSecret: 'stage',
          publishSecret: 'publish',
        } as never,
      });
      const restore: RestoreRecord = {
        id: 'rs-1',
        app: 'db',
        source: { kind: 'backup', repository: 'main', backupId: 'B1' },
        storageClassMap: {},
        state: 'restoring',
        volumes: [0, 1].map((i) => ({ claimId: `db/data/${i}`, volume: `data-${i}`, state: 'pending' as const, bytesDone: 0, bytesTotal: 1000 })),
        createdAt: now,
      };
      store.restores.put('rs-1', restore);
      for (const i of [0, 1]) {
        store.volumes.put(`v${i}`, {
          id: `v${i}`,
          plugin: 'berth.local',
          csiVolumeId: `csi-${i}`,
          csiName: `x${i}`,
          claimId: `db/data/${i}`,
          nodeId: 'n1',
          capacityBytes: 1 << 26,
          topology: {},
          volumeContext: { k: 'v' },
          state: 'ready',
          createdAt: now,
        });
        store.claims.put(`db/data/${i}`, {
          id: `db/data/${i}`,
          app: 'db',
          template: 'data',
          instance: i,
          storageClass: 'fast',
          sizeBytes: 1 << 26,
          accessMode: 'single-node-writer',
          volumeMode: 'filesystem',
          volumeId: `v${i}`,
          state: 'bound',
          retained: false,
          dataRestored: false,
          dataSource: { kind: 'backup', id: 'B1', repository: 'main', volume: `data-${i}`, restoreId: 'rs-1' },
        });
        store.tasks.put(`db-${i}`, {
          id: `db-${i}`,
          app: 'db',
          instance: i,
          generation: 1,
          spec,
          nodeId: 'n1',
          state: 'assigned',
          restarts: 0,
          updatedAt: now,
        });
      }
      store.apps.put('db', { name: 'db', spec, generation: 1, deleting: false, createdAt: now });
    });
  }

  /**
   * Starts the controller (once) like the server does, and waits until `until` holds. With `agent`, the
   * instances whose data is in start running meanwhile, as their agent would run them.
   */
  async function runUntil(what: string, until: () => boolean, timeoutMs = 15_000, agent = true): Promise<void> {
    if (!restorer) {
      restorer = new DataRestorer(ctx);
      restorer.start();
    }
    const deadline = Date.now() + timeoutMs;
    while (!until()) {
      if (agent) startRestoredInstances();
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(store.restores.get('rs-1'))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const restore = () => store.restores.get('rs-1')!;
  const startRestoredInstances = () => {
    for (const t of store.tasks.where('app', 'db')) {
      if (t.state === 'assigned' && store.claims.get(`db/data/${t.instance}`)?.dataRestored) store.tasks.put(t.id, { ...t, state: 'running' });
    }
  };

  it('writes every volume once on its node with the repository access, then marks the restore ready; tasks wait for it', async () => {
    // No instance starts on an empty volume: its container may be created ahead, nothing more.
    assert.ok(
      buildAssignments(ctx, 'n1').every((t) => t.prepareOnly && (t.volumes ?? []).every((v) => !v.volumeId)),
      'no instance starts on an empty volume',
    );
    script = (req, call) => setTimeout(() => done(call, 1000 + Number(req.volumeName.slice(-1))), 100);
    await runUntil('data in', () => restore().volumes.every((v) => v.state === 'done'), 15_000, false);
    assert.equal(restore().state, 'restoring', 'not ready while its instances do not run');
    assert.equal(restore().message, 'data restored; waiting for instance 0 to run (assigned)');
    await runUntil('ready', () => restore().state === 'ready');
    assert.equal(requests.length, 2, 'one call per volume');
    const r0 = requests.find((r) => r.volumeName === 'data-0')!;
    assert.deepEqual(
      {
        op: r0.operationId,
        repo: r0.repository,
        backup: r0.backupId,
        volume: r0.volumeId,
        plugin: r0.plugin,
        mode: r0.accessMode,
        ctx: r0.volumeContext,
        flags: r0.mountFlags,
      },
      {
        op: 'rs-1',
        repo: { location: '/backups/main', passphrase: 'sekrit' },
        backup: 'B1',
        volume: 'csi-0',
        plugin: 'berth.local',
        mode: 'SINGLE_NODE_WRITER',
        ctx: { k: 'v' },
        flags: ['noatime'],
      },
    );
    // Each node call gets the secret the CSI spec names for it: stage → NodeStage, publish → NodePublish.
    assert.deepEqual([r0.nodeSecrets, r0.publishSecrets], [{ stageKey: 's' }, { publishKey: 'p' }]);
    assert.deepEqual(
      restore().volumes.map((v) => [v.volume, v.state, v.bytesDone, v.nodeId]),
      [
        ['data-0', 'done', 1000, 'n1'],
        ['data-1', 'done', 1001, 'n1'],
      ],
    );
    assert.ok(store.claims.list().every((c) => c.dataRestored));
    assert.deepEqual(
      buildAssignments(ctx, 'n1')
        .filter((t) => !t.prepareOnly)
        .map((t) => t.taskId),
      ['db-0', 'db-1'],
      'now the instances start',
    );
    assert.ok(store.events(undefined, 50).some((e) => e.reason === 'Restored' && e.object === 'app/db'));
    assert.ok(!JSON.stringify(store.events(undefined, 50)).includes('sekrit'), 'the passphrase is never in an event');
  });

  it('does not start a volume before its task was provisioned on a node', async () => {
    store.tasks.put('db-1', { ...store.tasks.get('db-1')!, state: 'placed' });
    script = (_req, call) => done(call, 10);
    await runUntil('data-0 done', () => store.claims.get('db/data/0')!.dataRestored === true);
    assert.deepEqual(
      requests.map((r) => r.volumeName),
      ['data-0'],
    );
    assert.equal(restore().state, 'restoring');
    assert.match(restore().volumes[1].message ?? '', /waiting for instance db-1 to be placed/);
  });

  it('retries a transient failure (agent unavailable) with back-off instead of failing', async () => {
    let calls = 0;
    script = (req, call) => (req.volumeName === 'data-0' && calls++ === 0 ? fail(call, grpc.status.UNAVAILABLE, 'agent restarting') : done(call, 10));
    await runUntil('ready', () => restore().state === 'ready');
    assert.equal(requests.filter((r) => r.volumeName === 'data-0').length, 2);
    assert.ok(store.events(undefined, 50).some((e) => e.reason === 'RestoreRetrying' && /agent restarting/.test(e.message)));
  });

  it('a damaged chunk fails the restore naming volume and file, cancels the other copy, and rolls back: app deleted, volumes deleted whatever the policy', async () => {
    let cancelled = false;
    script = (req, call) => {
      if (req.volumeName === 'data-1') {
        call.on('cancelled', () => {
          cancelled = true;
        });
        return;
      } // a long copy
      setTimeout(
        () => fail(call, grpc.status.DATA_LOSS, 'cannot restore volume data-0 file blob of backup B1: chunk 0123 in pack data/ab/abcd is damaged'),
        100,
      );
    };
    await runUntil('rolling back', () => restore().state === 'rolling-back');
    assert.match(restore().message!, /volume data-0 \(claim db\/data\/0 on node n1\): the backup is damaged: .*file blob/);
    assert.equal(restore().volumes[0].state, 'failed');
    assert.equal(store.apps.get('db')!.deleting, true);
    for (const c of store.claims.list()) assert.equal(mustDeleteOnReclaim(ctx, c), true, `${c.id} is deleted though its class says Retain`);
    await runUntil('other copy cancelled', () => cancelled);
    // What cleanup does once the tasks are stopped: claims and volumes go, then the app.
    store.transaction(() => {
      for (const c of store.claims.list()) store.claims.delete(c.id);
      store.apps.delete('db');
    });
    await runUntil('failed', () => restore().state === 'failed');
    assert.ok(store.events(undefined, 50).some((e) => e.reason === 'RestoreRolledBack'));
  });

  it('after a server crash, a volume left running is restored again from scratch, and a rollback in progress finishes', async () => {
    store.restores.put('rs-1', { ...restore(), volumes: restore().volumes.map((v) => ({ ...v, state: 'running', bytesDone: 500, nodeId: 'n1' })) });
    script = (_req, call) => done(call, 1000);
    await runUntil('ready', () => restore().state === 'ready');
    assert.equal(requests.length, 2);

    await restorer?.stop();
    store.restores.put('rs-1', { ...restore(), state: 'rolling-back' });
    restorer = new DataRestorer(ctx);
    restorer.start();
    await restorer.idle();
    assert.equal(store.apps.get('db')!.deleting, true, 'the restarted controller deletes the app');
    assert.ok(
      store.claims.list().every((c) => mustDeleteOnReclaim(ctx, c)),
      'restored volumes of a rolled-back restore are deleted',
    );
  });

  it('an app deleted during the restore fails the restore', async () => {
    store.apps.put('db', { ...store.apps.get('db')!, deleting: true });
    script = () => undefined;
    await runUntil('rolling back', () => restore().state === 'rolling-back');
    assert.match(restore().message!, /app db was deleted during the restore/);
    assert.equal(requests.length, 0);
  });
});
