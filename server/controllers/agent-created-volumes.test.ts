import { taskReport } from '../store/test-records';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { poolKey } from '../../core/domain';
import type { AppSpec } from '../../core/manifests';
import { InMemoryLedgerStore, Ledger } from '../../core/reservations';
import { Scheduler } from '../../core/scheduler';
import { CREATES_VOLUMES, PREPARES_TASKS } from '../../proto/berth/features';
import type { SyncRequest__Output } from '../../proto/berth/generated/berth/agent/v1/SyncRequest';
import type { TaskReport__Output } from '../../proto/berth/generated/berth/agent/v1/TaskReport';
import { decodeCreateVolumeRequest, encodeCreateVolumeResponse } from '../../volumes/csi-client/create-volume-codec';
import { buildAssignments } from '../agents/assignments';
import { ClusterContext } from '../cluster-context';
import { provisionPlaced } from './provisioning';
import { handleSync } from '../agents/node-sync';
import type { NodeRecord } from '../store/records';
import { SqliteClusterStore } from '../store/sqlite-cluster-store';

/**
 * Node-local volumes created by the node's agent (server/controllers/agent-created-volumes.ts), against a
 * real store and ledger: what the agent is handed, and how its report is recorded (once, and only for
 * the intent it answers). The agent's half runs for real in the orchestrator e2e tests.
 */
const MiB = 1 << 20;
const spec = {
  instances: 1,
  runtime: 'docker',
  image: 'busybox',
  command: [],
  env: {},
  resources: { cpuMillis: 100, memoryBytes: 32 * MiB },
  constraints: [],
  volumes: [
    {
      name: 'data',
      mountPath: '/data',
      readOnly: false,
      claim: { storageClass: 'fast', sizeBytes: 64 * MiB, accessMode: 'single-node-writer', volumeMode: 'filesystem' },
    },
  ],
  onNodeLost: 'wait',
  retainOnScaleDown: false,
  hooks: { preSnapshot: [], postSnapshot: [] },
} as unknown as AppSpec;
const TOPOLOGY = { 'berth.dev/node': 'n1' };

function nodeRecord(features: string[]): NodeRecord {
  return {
    id: 'n1',
    address: '127.0.0.1:1',
    labels: {},
    cpuCores: 2,
    memoryBytes: 1 << 30,
    runtime: 'docker',
    lastSyncMs: Date.now(),
    reportedAtMs: Date.now(),
    state: 'ready',
    features,
    plugins: [
      {
        name: 'berth.local',
        endpoint: 'unix:///nowhere',
        healthy: true,
        error: '',
        topology: TOPOLOGY,
        csiNodeId: 'n1',
        maxVolumes: '0',
        pools: [{ name: 'fast', availableBytes: String(1 << 30), parameters: { 'vendor.example/pool-id': 'p-fast' }, reportedAtMs: String(Date.now()) }],
        pluginCapabilities: [],
        controllerCapabilities: ['CREATE_DELETE_VOLUME'],
        nodeCapabilities: ['STAGE_UNSTAGE_VOLUME'],
      },
    ],
  } as unknown as NodeRecord;
}

function syncRequest(node: NodeRecord, tasks: Partial<TaskReport__Output>[], sentAtMs = Date.now()): SyncRequest__Output {
  return {
    nodeId: node.id,
    address: node.address,
    labels: {},
    cpuCores: node.cpuCores,
    memoryBytes: String(node.memoryBytes),
    runtime: 'docker',
    plugins: node.plugins,
    tasks: tasks.map((t) => ({
      ...taskReport({ taskId: '', state: '' }),
      ...t,
    })),
    agentVersion: 'test',
    waitMs: 0,
    knownFingerprint: '',
    sentAtMs: String(sentAtMs),
    features: node.features ?? [],
    dnsAddress: '',
  };
}

describe('server: node-local volumes created by the agent', function () {
  this.timeout(30_000);
  let dir: string;
  let store: SqliteClusterStore;
  let ctx: ClusterContext;

  async function setUp(features: string[]): Promise<NodeRecord> {
    dir = mkdtempSync(join(tmpdir(), 'berth-agent-created-'));
    store = new SqliteClusterStore(join(dir, 'berth.db'));
    const ledger = new Ledger(new InMemoryLedgerStore());
    ctx = new ClusterContext(store, ledger, new Scheduler(ledger), pino({ level: 'silent' }), { nodeDownAfterMs: 15_000 });
    const node = nodeRecord(features);
    const now = new Date().toISOString();
    await ledger.registerNode('n1', {
      cpuMillis: 2000,
      memoryBytes: 1 << 30,
      poolBytes: new Map([[poolKey('berth.local', 'fast'), 1 << 30]]),
      attachSlots: new Map(),
    });
    const held = await ledger.reserve({
      holderId: 'db-0',
      nodeId: 'n1',
      amounts: {
        cpuMillis: 100,
        memoryBytes: 32 * MiB,
        attachments: [],
        pools: [{ plugin: 'berth.local', pool: 'fast', bytes: 64 * MiB, claimId: 'db/data/0' }],
      },
    });
    assert.equal(held.status, 'reserved');
    store.transaction(() => {
      store.nodes.put('n1', node);
      store.storageClasses.put('fast', {
        name: 'fast',
        spec: {
          plugin: 'berth.local',
          bindingMode: 'WaitForFirstConsumer',
          reclaimPolicy: 'Delete',
          allowExpansion: false,
          pool: 'fast',
          parameters: { compression: 'lz4' },
          mountOptions: [],
        },
      });
      store.apps.put('db', { name: 'db', spec, generation: 1, deleting: false, createdAt: now });
      store.claims.put('db/data/0', {
        id: 'db/data/0',
        app: 'db',
        template: 'data',
        instance: 0,
        storageClass: 'fast',
        sizeBytes: 64 * MiB,
        accessMode: 'single-node-writer',
        volumeMode: 'filesystem',
        state: 'pending',
        retained: false,
      });
      store.tasks.put('db-0', { id: 'db-0', app: 'db', instance: 0, generation: 1, spec, nodeId: 'n1', state: 'placed', restarts: 0, updatedAt: now });
    });
    await provisionPlaced(ctx);
    await ctx.background.settle();
    return node;
  }

  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hands the agent the CreateVolume request at placement, and records what the agent created exactly once', async () => {
    const node = await setUp([CREATES_VOLUMES, PREPARES_TASKS]);
    const volume = store.volumes.list()[0]!;
    assert.equal(volume.state, 'creating', 'the intent is written before anyone creates anything');
    assert.equal(store.tasks.get('db-0')!.state, 'placed');
    const [handed] = buildAssignments(ctx, 'n1');
    assert.ok(handed && !handed.prepareOnly, 'the task goes out at once, not only to be prepared');
    const request = decodeCreateVolumeRequest(Buffer.from(handed.volumes![0]!.createRequest as Buffer));
    assert.equal(request.name, volume.csiName, 'the same name as the intent: repeating it returns the same volume');
    assert.equal(request.capacityRange?.requiredBytes, String(64 * MiB));
    assert.deepEqual(
      request.parameters,
      { compression: 'lz4', 'vendor.example/pool-id': 'p-fast' },
      "the class's parameters and its pool's registration parameters; Berth's own `pool` never reaches the driver",
    );
    assert.deepEqual(
      request.accessibilityRequirements?.requisite.map((t) => t.segments),
      [TOPOLOGY],
    );
    assert.ok(!handed.volumes![0]!.volumeId, 'no volume id until the server has recorded it');

    const response = encodeCreateVolumeResponse({
      volume: {
        volumeId: 'vol-0123456789abcdef',
        capacityBytes: String(64 * MiB),
        volumeContext: { pool: 'fast' },
        accessibleTopology: [{ segments: TOPOLOGY }],
      },
    });
    // The agent's clock runs 10 s behind; the plugin answered 50 ms before the report went out.
    const agentNow = Date.now() - 10_000;
    const created = { name: 'data', response, csiName: volume.csiName, createdAtMs: String(agentNow - 50) };
    await handleSync(ctx, syncRequest(node, [{ taskId: 'db-0', state: 'running', created: [{ ...created, csiName: 'berth-db-data-0-older' }] }], agentNow));
    assert.equal(store.volumes.get(volume.id)!.state, 'creating', 'an answer for another intent (an earlier incarnation of the claim) is not taken');
    const report = { taskId: 'db-0', state: 'running', created: [created] };
    await handleSync(ctx, syncRequest(node, [report], agentNow));
    await handleSync(ctx, syncRequest(node, [report], agentNow)); // agents repeat it until the assignment names the volume
    const ready = store.volumes.get(volume.id)!;
    assert.equal(ready.state, 'ready');
    assert.equal(ready.csiVolumeId, 'vol-0123456789abcdef');
    assert.equal(ready.nodeId, 'n1');
    // Ready when the plugin made it, on the server's clock: pools measured after that count it used.
    assert.ok(Math.abs(Date.parse(ready.readyAt!) - (Date.now() - 50)) < 1_000, `readyAt ${ready.readyAt}`);
    assert.equal(store.claims.get('db/data/0')!.state, 'bound');
    assert.equal(store.tasks.get('db-0')!.state, 'running', 'placed → assigned → running from the one report');
    assert.equal(store.events(undefined, 100).filter((e) => e.reason === 'Provisioned').length, 1, 'recorded once');
    const reservations = await ctx.ledger.reservationsOf(['db-0']);
    assert.deepEqual(reservations.get('db-0')!.amounts.pools, [], "the claim's bytes moved from the task to the volume's own reservation");
    const [now] = buildAssignments(ctx, 'n1');
    assert.equal(now!.volumes![0]!.volumeId, 'vol-0123456789abcdef');
    assert.ok(!now!.volumes![0]!.createRequest, 'nothing left to create');
  });

  it("keeps the server's own CreateVolume path for an agent that cannot create volumes", async () => {
    await setUp([PREPARES_TASKS]);
    const [handed] = buildAssignments(ctx, 'n1');
    assert.ok(handed?.prepareOnly, 'only the container is prepared');
    assert.ok(handed.volumes!.every((v) => !v.volumeId && !v.createRequest));
  });

  it('a sync the agent cut short applies nothing after recording; a preparing report keeps the restart count', async () => {
    const node = await setUp([CREATES_VOLUMES, PREPARES_TASKS]);
    store.tasks.put('db-0', { ...store.tasks.get('db-0')!, state: 'assigned', restarts: 3 });
    const gone = new AbortController();
    gone.abort();
    await handleSync(ctx, syncRequest(node, [{ taskId: 'db-0', state: 'running' }]), gone.signal);
    assert.equal(store.tasks.get('db-0')!.state, 'assigned', 'a newer sync carries the fresher reports');
    await handleSync(ctx, syncRequest(node, [{ taskId: 'db-0', state: 'preparing' }]));
    assert.equal(store.tasks.get('db-0')!.restarts, 3);
  });

  it('hands an agent that does not understand prepare_only nothing for a placed task', async () => {
    await setUp([CREATES_VOLUMES]);
    store.nodes.put('n1', { ...store.nodes.get('n1')!, features: [] });
    assert.deepEqual(buildAssignments(ctx, 'n1'), []);
  });
});
