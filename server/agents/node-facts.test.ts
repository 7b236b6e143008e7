import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { InMemoryLedgerStore, Ledger } from '../../core/reservations';
import { Scheduler } from '../../core/scheduler';
import { FACTS_BY_DIGEST } from '../../proto/berth/features';
import type { SyncRequest, SyncRequest__Output } from '../../proto/berth/generated/berth/agent/v1/SyncRequest';
import { factsDigest, withFactsOnce } from '../../proto/berth/node-facts';
import { ClusterContext } from '../cluster-context';
import { SqliteClusterStore } from '../store/sqlite-cluster-store';
import { handleSync } from './node-sync';

/** Node facts sent once (feature facts-by-digest): the agent's half (proto/berth/node-facts.ts) and the server's (node-sync.ts). */
const pool = (availableBytes: string, reportedAtMs: string) => ({ name: 'fast', availableBytes, parameters: {}, reportedAtMs });
const plugin = (availableBytes = '1000', reportedAtMs = '1') => ({
  name: 'berth.local',
  endpoint: 'unix:///nowhere',
  healthy: true,
  error: '',
  topology: { 'berth.dev/node': 'n1' },
  csiNodeId: 'n1',
  maxVolumes: '0',
  pools: [pool(availableBytes, reportedAtMs)],
  pluginCapabilities: [],
  controllerCapabilities: ['CREATE_DELETE_VOLUME'],
  nodeCapabilities: ['STAGE_UNSTAGE_VOLUME'],
});
const fullRequest = (availableBytes = '1000', reportedAtMs = '1') => ({
  nodeId: 'n1',
  address: '127.0.0.1:1',
  labels: { zone: 'a' },
  cpuCores: 2,
  memoryBytes: String(1 << 30),
  runtime: 'process',
  plugins: [plugin(availableBytes, reportedAtMs)],
  tasks: [],
  agentVersion: 'test',
  waitMs: 0,
  knownFingerprint: '',
  sentAtMs: '0',
  features: [FACTS_BY_DIGEST],
});

/** What the server's gRPC layer hands handleSync for a request (every field present, defaults filled in). */
function decoded(r: SyncRequest): SyncRequest__Output {
  return {
    nodeId: r.nodeId ?? '',
    address: r.address ?? '',
    labels: r.labels ?? {},
    cpuCores: Number(r.cpuCores ?? 0),
    memoryBytes: String(r.memoryBytes ?? '0'),
    runtime: r.runtime ?? '',
    plugins: (r.plugins ?? []) as SyncRequest__Output['plugins'],
    tasks: [],
    agentVersion: r.agentVersion ?? '',
    waitMs: r.waitMs ?? 0,
    knownFingerprint: r.knownFingerprint ?? '',
    sentAtMs: String(r.sentAtMs ?? '0'),
    features: r.features ?? [],
    factsDigest: r.factsDigest ?? '',
    factsOmitted: r.factsOmitted ?? false,
  };
}

describe('agent: node facts sent once', () => {
  it('digests the facts without the pools’ measurement times', () => {
    assert.equal(factsDigest(fullRequest('1000', '1')), factsDigest(fullRequest('1000', '99')));
    assert.notEqual(factsDigest(fullRequest('1000')), factsDigest(fullRequest('999')), 'new free bytes are new facts');
  });

  it('leaves the facts out only when the server acknowledged these very ones', () => {
    const full = fullRequest();
    const first = withFactsOnce(full, '');
    assert.equal(first.factsOmitted, false);
    assert.equal(first.address, full.address);
    const again = withFactsOnce(full, first.factsDigest!);
    assert.equal(again.factsOmitted, true);
    assert.equal(again.factsDigest, first.factsDigest);
    assert.equal(again.plugins, undefined);
    assert.equal(again.address, undefined);
    assert.deepEqual(again.features, full.features, 'features always go: they say how to read the rest');
    assert.equal(withFactsOnce(fullRequest('5'), first.factsDigest!).factsOmitted, false, 'changed facts go in full');
  });
});

describe('server: Syncs without node facts', function () {
  this.timeout(30_000);
  let dir: string;
  let store: SqliteClusterStore;
  let ctx: ClusterContext;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-node-facts-'));
    store = new SqliteClusterStore(join(dir, 'berth.db'));
    const ledger = new Ledger(new InMemoryLedgerStore());
    ctx = new ClusterContext(store, ledger, new Scheduler(ledger), pino({ level: 'silent' }), { nodeDownAfterMs: 15_000 });
  });

  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes the facts it holds for a Sync that leaves them out, and says it holds them', async () => {
    const first = withFactsOnce(fullRequest(), '');
    const answer = await handleSync(ctx, decoded(first));
    assert.equal(answer.knownFacts, first.factsDigest);
    const stored = store.nodes.get('n1')!;
    assert.equal(stored.address, '127.0.0.1:1');
    const revision = store.revision;
    const idle = withFactsOnce(fullRequest(), answer.knownFacts!);
    assert.equal(idle.factsOmitted, true);
    const again = await handleSync(ctx, decoded({ ...idle, knownFingerprint: answer.fingerprint }));
    assert.equal(again.knownFacts, first.factsDigest);
    assert.equal(again.fingerprint, answer.fingerprint);
    assert.equal(store.revision, revision, 'an unchanged node writes nothing');
    assert.deepEqual(store.nodes.get('n1')!.plugins, stored.plugins);
    assert.equal(store.nodes.get('n1')!.labels.zone, 'a');
  });

  it('answers a Sync leaving out facts it does not hold with no known facts, and records nothing', async () => {
    const digest = factsDigest(fullRequest());
    const idle = withFactsOnce(fullRequest(), digest);
    const answer = await handleSync(ctx, decoded({ ...idle, knownFingerprint: 'f1', waitMs: 60_000 }));
    assert.equal(answer.knownFacts, '');
    assert.equal(answer.fingerprint, 'f1', 'the agent keeps its desired state');
    assert.deepEqual(answer.tasks, []);
    assert.equal(store.nodes.get('n1'), undefined);
  });

  it('ignores facts_omitted from an agent that does not say it leaves facts out', async () => {
    const idle = withFactsOnce(fullRequest(), factsDigest(fullRequest()));
    const answer = await handleSync(ctx, decoded({ ...idle, features: [], address: '10.0.0.1:1', runtime: 'process' }));
    assert.equal(answer.knownFacts, '');
    assert.equal(store.nodes.get('n1')!.address, '10.0.0.1:1');
  });
});
