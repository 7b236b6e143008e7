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
import type { ExecResult } from '../agents/node-link';
import { ClusterContext } from '../cluster-context';
import { SqliteClusterStore } from '../store/sqlite-cluster-store';
import { boundClaim, pluginReport, readyNode, readyVolume } from '../store/test-records';
import { RecoveryPoints } from './recovery-points';

/**
 * What a recovery point decides from its hooks' runs — fail, or continue crash-consistent with the
 * reason recorded; a postSnapshot failure recorded, or failing the request, never undoing the
 * snapshots — against a real store, a stand-in exec (answering, or failing at its timeout as the agent
 * does after killing the command) and a stand-in CSI controller. The real agent's kill is covered by
 * integration/orchestrator/snapshot-restore.test.ts.
 */
const appYaml = (hooks: string, extra = '') => `kind: App
name: db
spec:
  instances: 1
  image: busybox:local${extra}
  hooks: ${hooks}
  volumes: [{ name: data, mountPath: /data, claim: { storageClass: fast, size: 64Mi } }]
`;

/** How the stand-in exec answers one command (by its first word). */
type Behaviour = { exit: number; output: string } | 'hang' | 'unreachable';

describe('recovery-point hooks: timeouts and failure policies (real store, stand-in exec and CSI controller)', function () {
  this.timeout(30_000);
  let dir: string;
  let store: SqliteClusterStore;
  let ctx: ClusterContext;
  let points: RecoveryPoints;
  const calls: string[] = [];
  /** Every exec: task, command and the timeout it was given. */
  const execs: { taskId: string; command: string; timeoutMs: number }[] = [];
  const behaviours: Record<string, Behaviour> = {};

  const exec = async (taskId: string, command: readonly string[], timeoutMs: number): Promise<ExecResult> => {
    execs.push({ taskId, command: command.join(' '), timeoutMs });
    const b = behaviours[command[0]!] ?? { exit: 0, output: '' };
    if (b === 'unreachable') throw new Error('cannot run it: agent on node n1 unreachable');
    if (b === 'hang') {
      // The agent kills the command at its timeout and answers with an error.
      await new Promise((r) => setTimeout(r, timeoutMs));
      throw new Error(`exec of task ${taskId} failed: ${command.join(' ')} did not finish within ${timeoutMs} ms`);
    }
    return { exitCode: b.exit, output: b.output };
  };

  const useHooks = (hooks: string, extra = '') => {
    const spec = (parseManifests(appYaml(hooks, extra))[0]!.manifest as AppManifest).spec;
    store.apps.put('db', { name: 'db', spec, generation: 1, deleting: false, createdAt: new Date().toISOString() });
  };
  const reset = () => {
    calls.length = 0;
    execs.length = 0;
    for (const k of Object.keys(behaviours)) delete behaviours[k];
  };
  const lastPoint = () =>
    store.recoveryPoints
      .list()
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .at(-1)!;
  const eventsOf = (reason: string) => store.events('app/db').filter((e) => e.reason === reason);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-rp-hooks-'));
    store = new SqliteClusterStore(join(dir, 'berth.db'));
    const ledger = new Ledger(new InMemoryLedgerStore());
    ctx = new ClusterContext(store, ledger, new Scheduler(ledger), pino({ level: 'silent' }), { nodeDownAfterMs: 15_000 });
    ctx.controllerFor = (() => ({
      controller: async (method: string, req: { name?: string; snapshotId?: string }) => {
        calls.push(`${method} ${req.name ?? req.snapshotId}`);
        if (method === 'CreateSnapshot') return { snapshot: { snapshotId: `snap-${req.name}`, sizeBytes: '0' } };
        return {};
      },
      groupController: async () => {
        throw new Error('no group controller');
      },
    })) as unknown as ClusterContext['controllerFor'];
    (ctx.links as unknown as { get: () => { exec: typeof exec } }).get = () => ({ exec });
    store.nodes.put('n1', readyNode('n1', [pluginReport('berth.local', { csiNodeId: 'n1', controllerCapabilities: ['CREATE_DELETE_SNAPSHOT'] })]));
    useHooks('{}');
    store.claims.put('db/data/0', boundClaim('db', 0, 'v0'));
    store.volumes.put('v0', readyVolume('v0', 'db/data/0', 'n1'));
    store.tasks.put('db-0', {
      id: 'db-0',
      app: 'db',
      instance: 0,
      generation: 1,
      nodeId: 'n1',
      state: 'running',
      restarts: 0,
      updatedAt: new Date().toISOString(),
    });
    points = new RecoveryPoints(ctx);
    points.start();
  });

  beforeEach(reset);

  after(async () => {
    await points?.stop();
    ctx?.close();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hooks that succeed: app-consistent, no reason, each run with its outcome, duration and the policy it ran with', async () => {
    useHooks('{ preSnapshot: { command: [flush], timeout: 5s }, postSnapshot: [resume] }');
    const rp = await points.create('db');
    assert.equal(rp.consistency, 'app-consistent');
    assert.equal(rp.consistencyReason, undefined);
    assert.deepEqual(
      execs.map((e) => `${e.command} ${e.timeoutMs}`),
      ['flush 5000', 'resume 60000'],
    );
    assert.deepEqual(
      rp.hooks.map((h) => `${h.phase} ${h.outcome} ${h.exitCode} ${h.timeoutSeconds}s ${h.onFailure} ${typeof h.durationMs}`),
      ['preSnapshot succeeded 0 5s fail number', 'postSnapshot succeeded 0 60s continue number'],
    );
  });

  it('a plain list: a failing preSnapshot fails the recovery point naming instance, node and exit code; postSnapshot runs; no snapshot is taken', async () => {
    useHooks('{ preSnapshot: [flush], postSnapshot: [resume] }');
    behaviours.flush = { exit: 3, output: 'boom\n' };
    await assert.rejects(
      points.create('db'),
      (e: unknown) =>
        e instanceof BerthError &&
        HTTP_STATUS[e.code] === 424 &&
        e.message.includes('preSnapshot hook failed in db-0 on node n1 (exit 3): boom') &&
        e.message.endsWith('(postSnapshot hooks ran)'),
    );
    const rp = lastPoint();
    assert.equal(rp.state, 'failed');
    assert.deepEqual(calls, [], 'no CSI snapshot was asked for');
    assert.deepEqual(
      rp.hooks.map((h) => `${h.phase} ${h.outcome}`),
      ['preSnapshot failed', 'postSnapshot succeeded'],
    );
  });

  it('a hung preSnapshot with onFailure fail: the recovery point fails once its timeout passes, saying it timed out', async () => {
    useHooks('{ preSnapshot: { command: [hang], timeout: 1s, onFailure: fail }, postSnapshot: [resume] }');
    behaviours.hang = 'hang';
    const started = Date.now();
    await assert.rejects(points.create('db'), /preSnapshot hook failed in db-0 on node n1 \(timed out after 1s\): .*did not finish within 1000 ms/);
    assert.ok(Date.now() - started < 5_000, 'ended with its timeout');
    const rp = lastPoint();
    assert.equal(rp.state, 'failed');
    assert.equal(rp.hooks[0]!.outcome, 'timed-out');
    assert.ok(rp.hooks[0]!.durationMs! >= 1000);
    assert.deepEqual(calls, []);
    assert.ok(eventsOf('PreSnapshotHook').some((e) => /db-0: timed out after 1s \(killed\).*onFailure: fail/.test(e.message)));
  });

  it('a hung preSnapshot with onFailure continue: snapshots are taken crash-consistent, the reason recorded and in the event', async () => {
    useHooks('{ preSnapshot: { command: [hang], timeout: 1s, onFailure: continue }, postSnapshot: [resume] }');
    behaviours.hang = 'hang';
    const rp = await points.create('db');
    assert.equal(rp.state, 'ready');
    assert.equal(rp.consistency, 'crash-consistent');
    assert.match(rp.consistencyReason!, /^preSnapshot hook failed in db-0 on node n1 \(timed out after 1s\): .*; onFailure is continue$/);
    assert.equal(rp.snapshots[0]!.csiSnapshotId, `snap-berth-${rp.id}-0`);
    assert.deepEqual(
      rp.hooks.map((h) => `${h.phase} ${h.outcome}`),
      ['preSnapshot timed-out', 'postSnapshot succeeded'],
    );
    assert.ok(eventsOf('SnapshotCreated').some((e) => e.message.includes(rp.id) && e.message.includes(`crash-consistent (${rp.consistencyReason})`)));
  });

  it('continue also lets through a preSnapshot that could not be run at all', async () => {
    useHooks('{ preSnapshot: { command: [gone], onFailure: continue } }');
    behaviours.gone = 'unreachable';
    const rp = await points.create('db');
    assert.equal(rp.consistency, 'crash-consistent');
    assert.match(rp.consistencyReason!, /\(not run\): cannot run it: agent on node n1 unreachable; onFailure is continue/);
    assert.equal(rp.hooks[0]!.outcome, 'not-run');
  });

  it('an instance that runs but is not ready gets no hook: its policy decides (fail refuses the recovery point, continue makes it crash-consistent)', async () => {
    const readiness = '\n  readiness: { exec: [pg_isready] }';
    const task = store.tasks.get('db-0')!;
    store.tasks.put('db-0', { ...task, health: 'unhealthy', healthMessage: 'readiness: exit 2' });
    try {
      useHooks('{ preSnapshot: [flush] }', readiness);
      await assert.rejects(
        points.create('db'),
        /preSnapshot hook failed in db-0 on node n1 \(not run\): instance not ready \(readiness unhealthy: readiness: exit 2\)/,
      );
      assert.equal(execs.length, 0, 'nothing was run in the instance');
      reset();
      useHooks('{ preSnapshot: { command: [flush], onFailure: continue } }', readiness);
      const rp = await points.create('db');
      assert.equal(rp.consistency, 'crash-consistent');
      assert.match(rp.consistencyReason!, /instance not ready/);
      assert.equal(execs.length, 0);
      reset();
      store.tasks.put('db-0', { ...task, health: 'healthy' });
      useHooks('{ preSnapshot: [flush] }', readiness);
      assert.equal((await points.create('db')).consistency, 'app-consistent', 'a ready instance runs its hooks');
      assert.deepEqual(
        execs.map((e) => e.command),
        ['flush'],
      );
    } finally {
      store.tasks.put('db-0', task);
      useHooks('{}');
    }
  });

  it('a failing postSnapshot never undoes the snapshots: recorded by default (continue); with fail the request fails and the recovery point is kept', async () => {
    useHooks('{ preSnapshot: [flush], postSnapshot: [resume] }');
    behaviours.resume = { exit: 1, output: 'still frozen' };
    const kept = await points.create('db');
    assert.equal(kept.state, 'ready');
    assert.equal(kept.consistency, 'app-consistent');
    assert.equal(kept.message, 'postSnapshot hook failed in db-0 on node n1 (exit 1): still frozen');

    useHooks('{ preSnapshot: [flush], postSnapshot: { command: [resume], timeout: 10s, onFailure: fail } }');
    await assert.rejects(
      points.create('db'),
      (e: unknown) =>
        e instanceof BerthError &&
        HTTP_STATUS[e.code] === 424 &&
        /^postSnapshot hook failed in db-0 on node n1 \(exit 1\): still frozen; onFailure is fail: recovery point rp-\w+ is kept/.test(e.message),
    );
    const rp = lastPoint();
    assert.equal(rp.state, 'ready');
    assert.equal(rp.snapshots[0]!.csiSnapshotId, `snap-berth-${rp.id}-0`);
    assert.ok(!calls.some((c) => c.startsWith('DeleteSnapshot')), 'no snapshot deleted');
  });
});
