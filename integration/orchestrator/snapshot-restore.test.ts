import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { berth, berthJson, NodeHandle, startCluster, startNode, TestCluster, tokenArgs, waitFor } from '../harness/cluster';
import { dockerAvailable, skipWithoutDocker } from '../harness/dockerd';
import { BERTH_BIN } from '../harness/plugin-process';

interface Task {
  id: string;
  app: string;
  state: string;
  generation: number;
}
interface Claim {
  id: string;
  app: string;
  state: string;
  dataSource?: { kind: string; id: string };
}
interface RecoveryPoint {
  id: string;
  app: string;
  state: string;
  consistency: string;
  message?: string;
  generation: number;
  snapshots: { claimId: string; instance: number; csiSnapshotId?: string; sourceVolumeId: string; sizeBytes: number; plugin: string }[];
  hooks: { phase: string; taskId: string; exitCode: number; output: string; outcome?: string; durationMs?: number }[];
  consistencyReason?: string;
  claims: unknown[];
  storageClasses: { name: string }[];
  spec: { instances: number };
}
interface Event {
  object: string;
  reason: string;
  message: string;
}

const STORAGE_CLASS = `
kind: StorageClass
name: snap-fast
spec: { plugin: berth.local, reclaimPolicy: Delete, parameters: { pool: fast } }
`;

/** Each instance writes 2 MiB of its own random data once, then its id; the checksum is taken from the host. */
const APP = (name: string, instances: number, pre: string[], post: string[]) => `
kind: App
name: ${name}
spec:
  instances: ${instances}
  runtime: docker
  image: busybox:local
  command: ["sh", "-c", "[ -f /data/blob ] || head -c 2097152 /dev/urandom > /data/blob; echo $BERTH_INSTANCE > /data/id; exec sleep 100000"]
  resources: { cpu: 0.1, memory: 32Mi }
  hooks: { preSnapshot: ${JSON.stringify(pre)}, postSnapshot: ${JSON.stringify(post)} }
  volumes:
    - name: data
      mountPath: /data
      claim: { storageClass: snap-fast, size: 64Mi }
`;

const PRE = ['sh', '-c', 'sync; echo pre-ok'];
const POST = ['sh', '-c', 'echo post-ok'];
const available = dockerAvailable();
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('recovery points and restore from snapshot: real dockerd, real btrfs, server, agent and plugin processes', function () {
  this.timeout(300_000);
  let cluster: TestCluster;
  let api: string;
  let node: NodeHandle;
  /** Checksums of each instance's data at snapshot time. */
  const atSnapshot: string[] = [];
  let rp: RecoveryPoint;

  before(async function () {
    skipWithoutDocker(this, available);
    cluster = await startCluster('e2e-snap');
    ({ api } = cluster);
    node = await cluster.addNode('n1', '1G');
  });

  after(async () => {
    await cluster?.stop();
  });

  const tasks = () => berthJson<{ items: Task[] }>(api, ['get', 'tasks']).items;
  const runningApp = (app: string, n: number) => () => {
    const t = tasks().filter((x) => x.app === app);
    return t.length === n && t.every((x) => x.state === 'running') && t;
  };
  const dataFile = (task: string, file: string) => join(node.stateDir, 'publish', task, 'data', file);
  const appEvents = (app: string) => berthJson<{ events: Event[] }>(api, ['describe', 'app', app]).events;
  const csiSnapshots = async () => (await node.plugin.client.controller('ListSnapshots', {})).entries.map((e) => e.snapshot!.snapshotId);
  const recoveryPoints = () => berthJson<{ items: RecoveryPoint[] }>(api, ['get', 'snapshots']).items;

  it('takes an app-consistent recovery point of a two-instance app: hooks in every instance, one snapshot per volume', async () => {
    const applied = berth(api, ['apply', '-f', '-'], `${STORAGE_CLASS}---${APP('db', 2, PRE, POST)}`);
    assert.equal(applied.code, 0, applied.stderr);
    await waitFor('db running', runningApp('db', 2), 120_000);
    for (const i of [0, 1]) await waitFor(`db-${i} data written`, () => existsSync(dataFile(`db-${i}`, 'id')));
    for (const i of [0, 1]) atSnapshot[i] = sha256(dataFile(`db-${i}`, 'blob'));
    assert.notEqual(atSnapshot[0], atSnapshot[1], 'each instance has its own data');

    const created = berth(api, ['snapshot', 'create', 'db', '-o', 'json']);
    assert.equal(created.code, 0, created.stderr);
    rp = JSON.parse(created.stdout) as RecoveryPoint;
    assert.equal(rp.state, 'ready');
    assert.equal(rp.consistency, 'app-consistent');
    assert.equal(rp.snapshots.length, 2);
    assert.deepEqual(
      rp.snapshots.map((s) => s.claimId),
      ['db/data/0', 'db/data/1'],
    );
    assert.ok(rp.snapshots.every((s) => s.csiSnapshotId && s.plugin === 'berth.local' && s.sizeBytes > 0));
    assert.deepEqual(
      rp.storageClasses.map((s) => s.name),
      ['snap-fast'],
    );
    assert.equal(rp.claims.length, 2);
    assert.deepEqual(rp.hooks.map((h) => `${h.phase} ${h.taskId} ${h.exitCode} ${h.output.trim()}`).sort(), [
      'postSnapshot db-0 0 post-ok',
      'postSnapshot db-1 0 post-ok',
      'preSnapshot db-0 0 pre-ok',
      'preSnapshot db-1 0 pre-ok',
    ]);
    const snaps = await csiSnapshots();
    for (const s of rp.snapshots) assert.ok(snaps.includes(s.csiSnapshotId!), `the plugin holds ${s.csiSnapshotId}`);

    const events = appEvents('db');
    assert.ok(
      events.some((e) => e.reason === 'PreSnapshotHook' && /db-0.*pre-ok/.test(e.message)),
      JSON.stringify(events),
    );
    assert.ok(events.some((e) => e.reason === 'PostSnapshotHook' && /db-1.*post-ok/.test(e.message)));
    assert.ok(events.some((e) => e.reason === 'SnapshotCreated' && e.message.includes(rp.id) && /app-consistent/.test(e.message)));

    const listed = recoveryPoints();
    assert.deepEqual(
      listed.map((x) => x.id),
      [rp.id],
    );
    const table = berth(api, ['snapshot', 'list']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, new RegExp(`${rp.id}\\s+db\\s+1\\s+2\\s+.*app-consistent\\s+ready`));
  });

  it('restores the recovery point as a copy: instance i has exactly its data from the snapshot time', async () => {
    // Change the data after the snapshot: the copy must not see it.
    for (const i of [0, 1]) {
      appendFileSync(dataFile(`db-${i}`, 'blob'), 'written after the snapshot');
      writeFileSync(dataFile(`db-${i}`, 'after'), 'x');
      assert.notEqual(sha256(dataFile(`db-${i}`, 'blob')), atSnapshot[i]);
    }
    const r = berth(api, ['restore', 'create', '--from-snapshot', rp.id, '--as', 'copy', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(r.stdout) as { app: string; claims: { id: string; snapshotId: string }[] };
    assert.equal(res.app, 'copy');
    assert.deepEqual(
      res.claims,
      rp.snapshots.map((s) => ({ id: `copy/data/${s.instance}`, snapshotId: s.csiSnapshotId })),
    );
    await waitFor('copy running', runningApp('copy', 2), 120_000);
    for (const i of [0, 1]) {
      await waitFor(`copy-${i} started`, () => existsSync(dataFile(`copy-${i}`, 'id')));
      assert.equal(sha256(dataFile(`copy-${i}`, 'blob')), atSnapshot[i], `copy-${i} has db-${i}'s data from the snapshot time`);
      assert.equal(existsSync(dataFile(`copy-${i}`, 'after')), false, 'nothing written after the snapshot');
      assert.equal(readFileSync(dataFile(`copy-${i}`, 'id'), 'utf8').trim(), String(i));
    }
    const claims = berthJson<{ items: Claim[] }>(api, ['get', 'claims']).items.filter((c) => c.app === 'copy');
    assert.deepEqual(
      claims.map((c) => [c.id, c.state, c.dataSource?.kind]),
      [
        ['copy/data/0', 'bound', 'snapshot'],
        ['copy/data/1', 'bound', 'snapshot'],
      ],
    );
    // The original is untouched.
    for (const i of [0, 1]) assert.ok(existsSync(dataFile(`db-${i}`, 'after')));
  });

  it('refuses to restore over an existing app or from an unknown recovery point, changing nothing', async () => {
    const apps = berthJson<{ items: unknown[] }>(api, ['get', 'apps']).items;
    const claims = berthJson<{ items: unknown[] }>(api, ['get', 'claims']).items;
    const over = berth(api, ['restore', 'create', '--from-snapshot', rp.id]);
    assert.equal(over.code, 4, `${over.stdout}${over.stderr}`);
    assert.match(over.stderr, /app db already exists.*--as/);
    const unknown = berth(api, ['restore', 'create', '--from-snapshot', 'rp-000000000000', '--as', 'other']);
    assert.equal(unknown.code, 3, unknown.stderr);
    assert.match(unknown.stderr, /recovery point rp-000000000000 not found/);
    const badName = berth(api, ['restore', 'create', '--from-snapshot', rp.id, '--as', 'Bad_Name']);
    assert.equal(badName.code, 2, badName.stderr);
    assert.deepEqual(berthJson<{ items: unknown[] }>(api, ['get', 'apps']).items, apps);
    assert.deepEqual(berthJson<{ items: unknown[] }>(api, ['get', 'claims']).items, claims);
    assert.equal(berth(api, ['snapshot', 'create', 'nope']).code, 3, 'unknown app: exit 3');
  });

  it('a failing preSnapshot hook aborts with a clear error, postSnapshot still runs and no snapshot is left', async () => {
    assert.equal(berth(api, ['apply', '-f', '-'], APP('bad', 1, ['sh', '-c', 'echo failing-pre; exit 3'], POST)).code, 0);
    await waitFor('bad running', runningApp('bad', 1), 120_000);
    const before = await csiSnapshots();
    const r = berth(api, ['snapshot', 'create', 'bad']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /preSnapshot hook failed in bad-0 on node n1 \(exit 3\): failing-pre/);
    assert.match(r.stderr, /postSnapshot hooks ran/);
    const events = appEvents('bad');
    assert.ok(
      events.some((e) => e.reason === 'PreSnapshotHook' && /bad-0: exit 3.*failing-pre/.test(e.message)),
      JSON.stringify(events),
    );
    assert.ok(
      events.some((e) => e.reason === 'PostSnapshotHook' && /bad-0: exit 0.*post-ok/.test(e.message)),
      'postSnapshot ran',
    );
    assert.ok(events.some((e) => e.reason === 'SnapshotFailed'));
    assert.deepEqual(await csiSnapshots(), before, 'no CSI snapshot left behind');
    const failed = recoveryPoints().find((x) => x.app === 'bad')!;
    assert.equal(failed.state, 'failed');
    assert.equal(failed.snapshots.filter((s) => s.csiSnapshotId).length, 0);
    assert.deepEqual(
      failed.hooks.map((h) => `${h.phase} ${h.exitCode}`),
      ['preSnapshot 3', 'postSnapshot 0'],
    );
    // A failed recovery point cannot be restored.
    assert.equal(berth(api, ['restore', 'create', '--from-snapshot', failed.id, '--as', 'bad2']).code, 4);
  });

  it('a server killed in the middle of a snapshot: on restart postSnapshot runs, the recovery point is failed, no snapshot is left', async () => {
    assert.equal(berth(api, ['apply', '-f', '-'], APP('slow', 1, ['sh', '-c', 'sleep 8; echo slow-pre'], POST)).code, 0);
    await waitFor('slow running', runningApp('slow', 1), 120_000);
    const before = await csiSnapshots();
    const cli = spawn(process.execPath, [BERTH_BIN, '--server', api, ...tokenArgs(api), 'snapshot', 'create', 'slow'], { stdio: 'ignore' });
    const cliDone = new Promise((resolve) => cli.once('exit', resolve));
    await waitFor('recovery point of slow being taken', () => recoveryPoints().some((x) => x.app === 'slow' && x.state === 'creating'), 20_000);
    await cluster.server.stop('SIGKILL');
    await cliDone;
    await cluster.restartServer();
    const failed = await waitFor('recovery point marked failed', () => recoveryPoints().find((x) => x.app === 'slow' && x.state === 'failed'), 60_000);
    assert.match(failed.message ?? '', /interrupted by a server restart/);
    assert.ok(
      appEvents('slow').some((e) => e.reason === 'PostSnapshotHook' && /slow-0: exit 0.*post-ok/.test(e.message)),
      'postSnapshot ran after the restart',
    );
    assert.deepEqual(await csiSnapshots(), before, 'no CSI snapshot left behind');
  });

  it('a hung preSnapshot hook ends per its policy within its timeout, and its process is killed (process runtime)', async () => {
    const p1 = await startNode(cluster.dir, 'p1', {
      poolSize: '512M',
      agentServer: cluster.agentAddress,
      joinTokenFile: cluster.joinTokenFile,
      runtime: 'process',
    });
    cluster.nodes.push(p1);
    await waitFor('node p1 ready', () =>
      berthJson<{ items: { id: string; state: string }[] }>(api, ['get', 'nodes']).items.some((n) => n.id === 'p1' && n.state === 'ready'),
    );
    // `; echo` keeps the shell from exec-ing sleep: the hook is a shell with a child, as real ones are.
    const hungApp = (onFailure: string) => `
kind: App
name: hung
spec:
  runtime: process
  command: ["sh", "-c", "exec sleep 100000"]
  resources: { cpu: 0.1, memory: 32Mi }
  hooks:
    preSnapshot: { command: ["sh", "-c", "sleep 607; echo never"], timeout: 2s, onFailure: ${onFailure} }
    postSnapshot: ["sh", "-c", "echo post-ok"]
  volumes:
    - name: data
      mountPath: /data
      claim: { storageClass: snap-fast, size: 64Mi }
`;
    const hookProcesses = () =>
      execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.includes('sleep 607'))
        .join('\n');
    assert.equal(berth(api, ['apply', '-f', '-'], hungApp('fail')).code, 0);
    await waitFor('hung running', runningApp('hung', 1), 120_000);
    const before = await p1.plugin.client.controller('ListSnapshots', {});

    let started = Date.now();
    const failed = berth(api, ['snapshot', 'create', 'hung']);
    assert.equal(failed.code, 1, failed.stderr);
    assert.ok(Date.now() - started < 15_000, `ended within its timeout (${Date.now() - started} ms)`);
    assert.match(failed.stderr, /preSnapshot hook failed in hung-0 on node p1 \(timed out after 2s\)/);
    assert.equal(hookProcesses(), '', 'the timed-out hook was killed, its children too');
    assert.deepEqual(await p1.plugin.client.controller('ListSnapshots', {}), before, 'no CSI snapshot left behind');
    assert.ok(
      appEvents('hung').some((e) => e.reason === 'PostSnapshotHook' && /hung-0: exit 0.*post-ok/.test(e.message)),
      'postSnapshot ran',
    );

    // The same hook with onFailure continue: taken crash-consistent, the reason recorded.
    assert.equal(berth(api, ['apply', '-f', '-'], hungApp('continue')).code, 0);
    await waitFor('hung running its second generation', () => tasks().some((t) => t.id === 'hung-0' && t.state === 'running' && t.generation === 2), 120_000);
    started = Date.now();
    const created = berth(api, ['snapshot', 'create', 'hung', '-o', 'json']);
    assert.equal(created.code, 0, created.stderr);
    assert.ok(Date.now() - started < 15_000, `ended within its timeout (${Date.now() - started} ms)`);
    const taken = JSON.parse(created.stdout) as RecoveryPoint;
    assert.equal(taken.state, 'ready');
    assert.equal(taken.consistency, 'crash-consistent');
    assert.match(taken.consistencyReason ?? '', /preSnapshot hook failed in hung-0 on node p1 \(timed out after 2s\).*onFailure is continue/);
    assert.deepEqual(
      taken.hooks.map((h) => `${h.phase} ${h.outcome}`),
      ['preSnapshot timed-out', 'postSnapshot succeeded'],
    );
    assert.ok((taken.hooks[0]!.durationMs ?? 0) >= 2000);
    assert.equal(hookProcesses(), '', 'the timed-out hook was killed');
    const described = berth(api, ['snapshot', 'describe', taken.id]);
    assert.match(described.stdout, /ready, crash-consistent \(preSnapshot hook failed in hung-0.*\)/);
    assert.match(described.stdout, /preSnapshot in hung-0: timed out after 2s/);
    assert.ok(
      appEvents('hung').some(
        (e) => e.reason === 'SnapshotCreated' && e.message.includes(taken.id) && /crash-consistent \(preSnapshot hook failed/.test(e.message),
      ),
    );
  });

  it('deletes recovery points with their CSI snapshots, then the apps and their volumes', async () => {
    for (const x of recoveryPoints()) {
      const r = berth(api, ['snapshot', 'delete', x.id]);
      assert.equal(r.code, 0, r.stderr);
    }
    assert.deepEqual(recoveryPoints(), []);
    assert.deepEqual(await csiSnapshots(), [], 'the plugin holds no snapshot');
    assert.equal(berth(api, ['snapshot', 'delete', rp.id]).code, 3, 'deleted: not found');
    for (const app of ['copy', 'db', 'bad', 'slow', 'hung']) assert.equal(berth(api, ['delete', 'app', app]).code, 0);
    await waitFor('apps gone', () => berthJson<{ items: unknown[] }>(api, ['get', 'apps']).items.length === 0, 120_000);
    await waitFor('volumes gone', () => berthJson<{ items: unknown[] }>(api, ['get', 'volumes']).items.length === 0, 60_000);
    const listed = await node.plugin.client.controller('ListVolumes', {});
    assert.equal(listed.entries.length, 0, 'the plugin deleted every volume');
    assert.equal(berth(api, ['delete', 'storageclass', 'snap-fast']).code, 0);
  });
});
