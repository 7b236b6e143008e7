import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { berth, berthJson, NodeHandle, startCluster, startDaemon, TestCluster, waitFor } from '../harness/cluster';
import { dockerAvailable, DockerdHandle, skipWithoutDocker } from '../harness/dockerd';

interface Task {
  id: string;
  nodeId?: string;
  state: string;
  restarts: number;
  message?: string;
}
interface Volume {
  id: string;
  csiVolumeId: string;
  claimId?: string;
  nodeId?: string;
  state: string;
}

const MANIFEST = (reclaim: string, instances = 2) => `
kind: StorageClass
name: fast-${reclaim.toLowerCase()}
spec: { plugin: berth.local, reclaimPolicy: ${reclaim}, parameters: { pool: fast } }
---
kind: App
name: pg
spec:
  instances: ${instances}
  runtime: docker
  image: busybox:local
  command: ["sh", "-c", "echo $BERTH_INSTANCE > /data/id; date >> /data/starts; exec sleep 100000"]
  resources: { cpu: 0.1, memory: 32Mi }
  volumes:
    - name: data
      mountPath: /data
      claim: { storageClass: fast-${reclaim.toLowerCase()}, size: 64Mi }
`;

const available = dockerAvailable();

describe('a stateful app end to end: real dockerd, real btrfs, server and agent processes', function () {
  this.timeout(300_000);
  let cluster: TestCluster;
  let api: string;
  let node: NodeHandle;
  let dockerd: DockerdHandle;

  before(async function () {
    skipWithoutDocker(this, available);
    cluster = await startCluster('e2e');
    ({ api, dockerd } = cluster);
    node = await cluster.addNode('n1', '1G');
  });

  after(async () => {
    await cluster?.stop();
  });

  const tasks = () => berthJson<{ items: Task[] }>(api, ['get', 'tasks']).items;
  const running = (n: number) => () => {
    const t = tasks();
    return t.length === n && t.every((x) => x.state === 'running') && t;
  };
  const hostData = (task: string, file: string) => readFileSync(join(node.stateDir, 'publish', task, 'data', file), 'utf8');
  const containerId = async (task: string) => (await dockerd.docker.getContainer(`berth-${task}`).inspect()).Id;

  it('runs both instances in Docker, each with its own volume', async () => {
    const applied = berth(api, ['apply', '-f', '-'], MANIFEST('Retain'));
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /app\/pg created/);
    const t = await waitFor('2 running tasks', running(2), 120_000);
    assert.deepEqual(
      t.map((x) => x.nodeId),
      ['n1', 'n1'],
    );
    assert.equal(hostData('pg-0', 'id').trim(), '0');
    assert.equal(hostData('pg-1', 'id').trim(), '1');
    const volumes = berthJson<{ items: Volume[] }>(api, ['get', 'volumes']).items;
    assert.equal(new Set(volumes.map((v) => v.csiVolumeId)).size, 2, 'one volume per instance');
    const again = berth(api, ['apply', '-f', '-'], MANIFEST('Retain'));
    assert.match(again.stdout, /app\/pg unchanged/, 'apply is idempotent');
  });

  it('restarts a killed container on the same node with its data', async () => {
    await dockerd.docker.getContainer('berth-pg-0').kill();
    const t = await waitFor('pg-0 restarted', () => tasks().find((x) => x.id === 'pg-0' && x.restarts >= 1 && x.state === 'running'));
    assert.equal(t.nodeId, 'n1');
    assert.equal(hostData('pg-0', 'starts').trim().split('\n').length, 2, "the restart found the first start's data");
    assert.equal(hostData('pg-0', 'id').trim(), '0');
  });

  it('keeps tasks and data through an agent restart and a server crash', async () => {
    const before = [await containerId('pg-0'), await containerId('pg-1')];
    await node.agent.stop();
    node.agent = startDaemon(node.agentArgs);
    await cluster.restartServer('SIGKILL');
    await waitFor('both running after restarts', running(2));
    await new Promise((r) => setTimeout(r, 2000));
    assert.deepEqual([await containerId('pg-0'), await containerId('pg-1')], before, 'the same containers kept running');
    assert.equal(hostData('pg-1', 'starts').trim().split('\n').length, 1);
    const logs = berth(api, ['logs', 'pg-1']);
    assert.equal(logs.code, 0, logs.stderr);
  });

  it('refuses bad input with a clear error, a non-zero exit code and no change', async () => {
    const before = berthJson<{ items: unknown[] }>(api, ['get', 'apps']).items;
    const cases: [string, RegExp][] = [
      ['kind: App\nname: bad/name\nspec: { image: busybox:local }\n', /must not contain/],
      ['kind: App\nname: x\nspec: { instances: "two", image: busybox:local }\n', /instances/],
      [
        'kind: App\nname: x\nspec:\n  image: busybox:local\n  volumes: [{ name: d, mountPath: /d, claim: { storageClass: fast-retain, size: -5Mi } }]\n',
        /size/,
      ],
      ['kind: App\nname: x\nspec:\n  image: busybox:local\n  volumes: [{ name: d, mountPath: /d, claim: { storageClass: nope, size: 1Mi } }]\n', /nope/],
      [MANIFEST('Retain').replace('size: 64Mi', 'size: 128Mi'), /cannot change/],
      [MANIFEST('Retain').replace('parameters: { pool: fast }', 'parameters: { pool: other }'), /cannot change while 2 claim/],
    ];
    for (const [manifest, message] of cases) {
      const r = berth(api, ['apply', '-f', '-'], manifest);
      assert.notEqual(r.code, 0, manifest);
      assert.match(r.stderr, message);
    }
    assert.equal(berth(api, ['get', 'app', 'missing']).code, 3, 'unknown app: exit 3');
    assert.equal(berth(api, ['scale', 'pg', 'many']).code, 2, 'bad number: exit 2');
    assert.deepEqual(berthJson<{ items: unknown[] }>(api, ['get', 'apps']).items, before);
  });

  it('deletes the app: tasks stop, volumes are kept per reclaim policy Retain, reservations are released', async () => {
    const r = berth(api, ['delete', 'app', 'pg']);
    assert.equal(r.code, 0, r.stderr);
    await waitFor('app gone', () => berthJson<{ items: unknown[] }>(api, ['get', 'apps']).items.length === 0);
    const volumes = berthJson<{ items: Volume[] }>(api, ['get', 'volumes']).items;
    assert.equal(volumes.length, 2);
    assert.ok(volumes.every((v) => v.state === 'released' && !v.claimId));
    const reservations = berthJson<{ items: { holderId: string }[] }>(api, ['get', 'reservations']).items;
    assert.ok(
      reservations.every((x) => x.holderId.includes(':volume-')),
      `only the kept volumes hold space: ${JSON.stringify(reservations)}`,
    );
    const left = await dockerd.docker.listContainers({ all: true });
    assert.deepEqual(
      left.map((c) => `${c.Names.join(',')} ${c.State}`),
      [],
      node.agent
        .log()
        .split('\n')
        .filter((l) => /warn|error|retir/i.test(l))
        .slice(-10)
        .join('\n'),
    );
  });

  it('deletes the volumes with reclaim policy Delete', async () => {
    assert.equal(berth(api, ['apply', '-f', '-'], MANIFEST('Delete', 1).replace('name: pg', 'name: tmp')).code, 0);
    await waitFor('tmp running', () => tasks().some((t) => t.id === 'tmp-0' && t.state === 'running'), 120_000);
    const vol = berthJson<{ items: Volume[] }>(api, ['get', 'volumes']).items.find((v) => v.claimId === 'tmp/data/0')!;
    assert.equal(berth(api, ['delete', 'app', 'tmp']).code, 0);
    await waitFor('tmp gone', () => !berthJson<{ items: { name: string }[] }>(api, ['get', 'apps']).items.some((a) => a.name === 'tmp'));
    assert.ok(!berthJson<{ items: Volume[] }>(api, ['get', 'volumes']).items.some((v) => v.id === vol.id));
    const listed = await node.plugin.client.controller('ListVolumes', {});
    assert.ok(!listed.entries.some((e) => e.volume?.volumeId === vol.csiVolumeId), 'the plugin deleted it');
    assert.equal(existsSync(join(node.stateDir, 'publish', 'tmp-0')), false);
  });
});
