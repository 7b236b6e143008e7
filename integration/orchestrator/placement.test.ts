import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { berth, berthJson, NodeHandle, startCluster, startDaemon, TestCluster, waitFor } from '../harness/cluster';
import { dockerAvailable, skipWithoutDocker } from '../harness/dockerd';

interface Task {
  id: string;
  app: string;
  nodeId?: string;
  state: string;
  message?: string;
  rejections?: { nodeId: string; reason: string; message: string }[];
}
interface Reservation {
  nodeId: string;
  amounts: { cpuMillis: number; pools: { plugin: string; pool: string; bytes: number }[] };
}
interface NodeRow {
  id: string;
  state: string;
  cpuCores: number;
  pools: { plugin: string; pool: string; availableBytes: number }[];
}

const MiB = 1024 * 1024;
const CLASS = 'kind: StorageClass\nname: fast\nspec: { plugin: berth.local, reclaimPolicy: Delete, parameters: { pool: fast } }\n';
const app = (name: string, claims: number, sizeMi: number, cpu = 0.1) => `---
kind: App
name: ${name}
spec:
  runtime: docker
  image: busybox:local
  command: ["sleep", "100000"]
  resources: { cpu: ${cpu}, memory: 16Mi }
  volumes:
${Array.from({ length: claims }, (_, i) => `    - { name: v${i}, mountPath: /v${i}, claim: { storageClass: fast, size: ${sizeMi}Mi } }`).join('\n')}
`;

const available = dockerAvailable();

describe('placement across three agents with pools of different sizes', function () {
  this.timeout(300_000);
  let cluster: TestCluster;
  let api: string;
  let nodes: NodeHandle[];

  before(async function () {
    skipWithoutDocker(this, available);
    cluster = await startCluster('place', ['--node-down-after', '3']);
    ({ api, nodes } = cluster);
    for (const [id, size] of [
      ['big', '1G'],
      ['mid', '512M'],
      ['small', '150M'],
    ] as const)
      await cluster.addNode(id, size);
    assert.equal(berth(api, ['apply', '-f', '-'], CLASS).code, 0);
  });

  after(async () => {
    await cluster?.stop();
  });

  const tasks = () => berthJson<{ items: Task[] }>(api, ['get', 'tasks']).items;

  it('never places two 100 MiB claims on the node whose pool has 150 MiB, and says why per node', async () => {
    const small = berthJson<{ items: NodeRow[] }>(api, ['get', 'nodes']).items.find((n) => n.id === 'small')!;
    assert.ok(small.pools[0].availableBytes < 200 * MiB && small.pools[0].availableBytes > 100 * MiB, `small pool: ${small.pools[0].availableBytes}`);
    assert.equal(berth(api, ['apply', '-f', '-'], app('twoclaims', 2, 100)).code, 0);
    const placed = await waitFor('twoclaims running', () => tasks().find((t) => t.id === 'twoclaims-0' && t.state === 'running'));
    assert.notEqual(placed.nodeId, 'small');
    // A task that fits nowhere: every node is rejected with a named reason, shown by describe.
    assert.equal(berth(api, ['apply', '-f', '-'], app('huge', 2, 600)).code, 0);
    const pending = await waitFor('huge pending with reasons', () => tasks().find((t) => t.id === 'huge-0' && (t.rejections?.length ?? 0) === 3));
    assert.equal(pending.state, 'pending');
    for (const r of pending.rejections!) assert.equal(r.reason, 'storage-fit', `${r.nodeId}: ${r.message}`);
    const d = berth(api, ['describe', 'app', 'huge']);
    assert.equal(d.code, 0, d.stderr);
    for (const id of ['big', 'mid', 'small']) assert.match(d.stdout, new RegExp(`node ${id}: storage-fit: .*600Mi`));
    assert.equal(berth(api, ['delete', 'app', 'huge']).code, 0);
  });

  it('places many apps at once without overcommitting any pool or CPU', async () => {
    const manifest = Array.from({ length: 30 }, (_, i) => app(`many${i}`, 1, 48, 0.25)).join('');
    assert.equal(berth(api, ['apply', '-f', '-'], manifest).code, 0);
    await waitFor(
      'every many* task placed or explained',
      () => {
        const t = tasks().filter((x) => x.app.startsWith('many'));
        return t.length === 30 && t.every((x) => x.state === 'running' || (x.state === 'pending' && x.rejections?.length === 3));
      },
      180_000,
    );
    const nodeRows = berthJson<{ items: NodeRow[] }>(api, ['get', 'nodes']).items;
    const reservations = berthJson<{ items: Reservation[] }>(api, ['get', 'reservations']).items;
    for (const n of nodeRows) {
      const mine = reservations.filter((r) => r.nodeId === n.id);
      const cpu = mine.reduce((s, r) => s + r.amounts.cpuMillis, 0);
      assert.ok(cpu <= n.cpuCores * 1000, `node ${n.id}: ${cpu}m CPU reserved of ${n.cpuCores * 1000}m`);
      const reserved = mine.reduce((sum, r) => sum + r.amounts.pools.reduce((a, p) => a + p.bytes, 0), 0);
      // The pool's real size: what the plugin still has free plus what its volumes already hold.
      const client = nodes.find((x) => x.id === n.id)!.plugin.client;
      const free = Number((await client.controller('GetCapacity', { parameters: { pool: 'fast' } })).availableCapacity);
      const held = (await client.controller('ListVolumes', {})).entries.reduce((sum, e) => sum + Number(e.volume?.capacityBytes ?? 0), 0);
      assert.ok(reserved <= free + held, `node ${n.id}: ${reserved} bytes reserved in a ${free + held}-byte pool`);
    }
    // Had the ledger overcommitted, the plugin would have refused a CreateVolume with RESOURCE_EXHAUSTED.
    assert.ok(!tasks().some((x) => /RESOURCE_EXHAUSTED/.test(x.message ?? '')));
    const running = tasks().filter((x) => x.app.startsWith('many') && x.state === 'running');
    assert.ok(running.length >= 10, `${running.length} running`);
    const manyDelete = Array.from({ length: 30 }, (_, i) => `many${i}`);
    for (const a of manyDelete) berth(api, ['delete', 'app', a]);
    await waitFor('many* gone', () => !tasks().some((t) => t.app.startsWith('many')), 120_000);
  });

  it('runs a task whose volume lives on node B only on node B, and waits for B when it is down', async () => {
    const t = tasks().find((x) => x.id === 'twoclaims-0')!;
    const home = nodes.find((n) => n.id === t.nodeId)!;
    await home.agent.stop();
    const waiting = await waitFor('task waits for its node', () => tasks().find((x) => x.id === 'twoclaims-0' && /is down/.test(x.message ?? '')), 30_000);
    assert.equal(waiting.nodeId, home.id, 'not moved to another node');
    home.agent = startDaemon(home.agentArgs);
    const back = await waitFor(
      'running again on its node',
      () => tasks().find((x) => x.id === 'twoclaims-0' && x.state === 'running' && !/down/.test(x.message ?? '')),
      60_000,
    );
    assert.equal(back.nodeId, home.id);
  });

  it("makes a volume from another app's node-local volume on the node that holds it, with its data", async () => {
    const source = tasks().find((x) => x.id === 'twoclaims-0')!;
    const home = nodes.find((n) => n.id === source.nodeId)!;
    writeFileSync(join(home.stateDir, 'publish', 'twoclaims-0', 'v0', 'mark'), 'written before the clone\n');
    const volumeId = berthJson<{ items: { id: string; volumeId?: string }[] }>(api, ['get', 'claims']).items.find((c) => c.id === 'twoclaims/v0/0')!.volumeId!;
    const clone = `kind: App
name: clone
spec:
  image: busybox:local
  command: ["sleep", "100000"]
  resources: { cpu: 0.1, memory: 16Mi }
  volumes: [{ name: v0, mountPath: /v0, claim: { storageClass: fast, size: 100Mi, dataSource: { volume: ${volumeId} } } }]
`;
    assert.equal(berth(api, ['apply', '-f', '-'], clone).code, 0);
    // berth.local clones in place (a btrfs snapshot): any other node's plugin would answer NOT_FOUND forever.
    const running = await waitFor('clone running', () => tasks().find((x) => x.id === 'clone-0' && x.state === 'running'), 60_000);
    assert.equal(running.nodeId, home.id);
    assert.equal(readFileSync(join(home.stateDir, 'publish', 'clone-0', 'v0', 'mark'), 'utf8'), 'written before the clone\n');
    assert.equal(berth(api, ['delete', 'app', 'clone']).code, 0);
  });
});
