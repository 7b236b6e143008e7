import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { berth, berthJson, NodeHandle, startCluster, TestCluster, waitFor } from '../harness/cluster';
import { dockerAvailable, DockerdHandle, skipWithoutDocker } from '../harness/dockerd';

interface Task {
  id: string;
  state: string;
  generation: number;
}
interface Claim {
  id: string;
  volumeId?: string;
  state: string;
}
interface Volume {
  id: string;
  csiVolumeId?: string;
  claimId?: string;
  state: string;
}

const manifest = (version: string) => `
kind: StorageClass
name: fast
spec: { plugin: berth.local, reclaimPolicy: Delete, parameters: { pool: fast } }
---
kind: App
name: web
spec:
  instances: 1
  image: busybox:local
  env: { VERSION: "${version}" }
  command: ["sh", "-c", "echo $VERSION >> /data/versions; trap 'exit 0' TERM; sleep 100000 & wait"]
  resources: { cpu: 0.1, memory: 32Mi }
  volumes: [{ name: data, mountPath: /data, claim: { storageClass: fast, size: 32Mi } }]
`;

const available = dockerAvailable();

describe('scaling and rolling updates keep each instance on its claim', function () {
  this.timeout(300_000);
  let cluster: TestCluster;
  let api: string;
  let node: NodeHandle;
  let dockerd: DockerdHandle;

  before(async function () {
    skipWithoutDocker(this, available);
    cluster = await startCluster('roll');
    ({ api, dockerd } = cluster);
    node = await cluster.addNode('n1', '1G');
  });

  after(async () => {
    await cluster?.stop();
  });

  const tasks = () => berthJson<{ items: Task[] }>(api, ['get', 'tasks']).items.sort((a, b) => a.id.localeCompare(b.id));
  const claims = () => berthJson<{ items: Claim[] }>(api, ['get', 'claims']).items;
  const data = (task: string, file: string) => readFileSync(join(node.stateDir, 'publish', task, 'data', file), 'utf8');

  it('scales down keeping the claim, and scales up onto the same volume', async () => {
    assert.equal(berth(api, ['apply', '-f', '-'], manifest('v1')).code, 0);
    assert.equal(berth(api, ['scale', 'web', '2']).code, 0);
    await waitFor(
      '2 running',
      () => {
        const t = tasks();
        return t.length === 2 && t.every((x) => x.state === 'running');
      },
      120_000,
    );
    writeFileSync(join(node.stateDir, 'publish', 'web-1', 'data', 'mark'), 'instance-1-data');
    const volume = claims().find((c) => c.id === 'web/data/1')!.volumeId;
    assert.equal(berth(api, ['scale', 'web', '1']).code, 0);
    await waitFor('web-1 gone', () => !tasks().some((t) => t.id === 'web-1'), 60_000);
    const kept = claims().find((c) => c.id === 'web/data/1');
    assert.equal(kept?.state, 'retained', 'the claim of the removed instance is retained (not shown as bound)');
    assert.equal(kept.volumeId, volume);
    assert.equal(berth(api, ['scale', 'web', '2']).code, 0);
    await waitFor('web-1 back', () => tasks().some((t) => t.id === 'web-1' && t.state === 'running'), 120_000);
    assert.equal(data('web-1', 'mark'), 'instance-1-data', 'scale up found the retained volume');
    assert.equal(claims().find((c) => c.id === 'web/data/1')?.state, 'bound');
  });

  it('rolls a changed spec one instance at a time, each on its own data', async () => {
    let worst = 0;
    assert.equal(berth(api, ['apply', '-f', '-'], manifest('v2').replace('instances: 1', 'instances: 2')).code, 0);
    await waitFor(
      'both on generation 2 and running',
      () => {
        const t = tasks();
        worst = Math.max(worst, t.filter((x) => x.state !== 'running').length);
        return t.length === 2 && t.every((x) => x.generation === 2 && x.state === 'running');
      },
      180_000,
    );
    assert.ok(worst <= 1, `at most one instance was down at a time (saw ${worst})`);
    for (const id of ['web-0', 'web-1']) {
      const env = (await dockerd.docker.getContainer(`berth-${id}`).inspect()).Config.Env;
      assert.ok(env.includes('VERSION=v2'), `${id} runs the new spec`);
      assert.match(data(id, 'versions'), /v1\n(v1\n)*v2\n$/, `${id} kept its data across the roll`);
    }
  });

  it('deletes a retained claim (its volume per the reclaim policy) and a released volume; refuses either in use', async () => {
    const volumes = () => berthJson<{ items: Volume[] }>(api, ['get', 'volumes']).items;
    const inUse = berth(api, ['delete', 'claim', 'web/data/0']);
    assert.notEqual(inUse.code, 0);
    assert.match(inUse.stderr, /claim web\/data\/0 is not retained: instance 0 of app web uses it/);
    const boundVolume = volumes().find((v) => v.claimId === 'web/data/0')!;
    const refused = berth(api, ['delete', 'volume', boundVolume.id]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /bound to claim web\/data\/0; only a released volume/);

    // Scaled away and let go: class `fast` deletes the volume.
    const vol1 = volumes().find((v) => v.claimId === 'web/data/1')!;
    assert.equal(berth(api, ['scale', 'web', '1']).code, 0);
    await waitFor('web/data/1 retained', () => claims().find((c) => c.id === 'web/data/1')?.state === 'retained', 60_000);
    const released = berth(api, ['delete', 'claim', 'web/data/1']);
    assert.equal(released.code, 0, released.stderr);
    await waitFor('claim and volume gone', () => !claims().some((c) => c.id === 'web/data/1') && !volumes().some((v) => v.id === vol1.id), 60_000);
    let listed = await node.plugin.client.controller('ListVolumes', {});
    assert.ok(!listed.entries.some((e) => e.volume?.volumeId === vol1.csiVolumeId), "the plugin deleted the claim's volume");

    // A class that keeps volumes: deleting its app leaves a released volume, which `delete volume` removes.
    const keep = `
kind: StorageClass
name: keep
spec: { plugin: berth.local, reclaimPolicy: Retain, parameters: { pool: fast } }
---
kind: App
name: kept
spec:
  instances: 1
  image: busybox:local
  command: ["sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait"]
  resources: { cpu: 0.1, memory: 16Mi }
  volumes: [{ name: data, mountPath: /data, claim: { storageClass: keep, size: 16Mi } }]
`;
    assert.equal(berth(api, ['apply', '-f', '-'], keep).code, 0);
    await waitFor('kept-0 running', () => tasks().some((t) => t.id === 'kept-0' && t.state === 'running'), 120_000);
    const keptVolume = volumes().find((v) => v.claimId === 'kept/data/0')!;
    assert.equal(berth(api, ['delete', 'app', 'kept']).code, 0);
    await waitFor('volume released', () => volumes().find((v) => v.id === keptVolume.id)?.state === 'released', 60_000);
    const gone = berth(api, ['delete', 'volume', keptVolume.id]);
    assert.equal(gone.code, 0, gone.stderr);
    await waitFor('released volume gone', () => !volumes().some((v) => v.id === keptVolume.id), 60_000);
    listed = await node.plugin.client.controller('ListVolumes', {});
    assert.ok(!listed.entries.some((e) => e.volume?.volumeId === keptVolume.csiVolumeId), 'the plugin deleted the released volume');
    assert.equal(berth(api, ['delete', 'volume', keptVolume.id]).code !== 0, true, 'a second delete finds nothing');
  });
});

describe('a task that keeps crashing is restarted with back-off, not in a hot loop', function () {
  this.timeout(300_000);
  let cluster: TestCluster;
  let api: string;

  before(async function () {
    skipWithoutDocker(this, available);
    cluster = await startCluster('crashloop');
    ({ api } = cluster);
    await cluster.addNode('n1', '1G');
  });

  after(async () => {
    await cluster?.stop();
  });

  it('waits longer after each quick exit and says why the task is not running', async () => {
    const crashing = `
kind: StorageClass
name: fast
spec: { plugin: berth.local, reclaimPolicy: Delete, parameters: { pool: fast } }
---
kind: App
name: crashy
spec:
  image: busybox:local
  command: ["sh", "-c", "date >> /data/starts; exit 3"]
  resources: { cpu: 0.1, memory: 32Mi }
  volumes: [{ name: data, mountPath: /data, claim: { storageClass: fast, size: 32Mi } }]
`;
    assert.equal(berth(api, ['apply', '-f', '-'], crashing).code, 0);
    const task = () =>
      berthJson<{ items: { id: string; state: string; restarts: number; message?: string }[] }>(api, ['get', 'tasks']).items.find((t) => t.id === 'crashy-0');
    await waitFor('back-off reported', () => /crash-loop back-off/.test(task()?.message ?? ''), 120_000);
    const first = task()!.restarts;
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    const after = task()!;
    // Without back-off the agent restarts it about once a second (≈ 12 more); with 1, 2, 4, 8 s waits at most 4.
    assert.ok(after.restarts - first <= 4, `restarted ${after.restarts - first} times in 12 s`);
    assert.ok(after.restarts - first >= 1, 'it is still restarted');
    // Between a restart and its exit it is briefly running; while it waits, it is failed with the reason.
    // Judge one snapshot: a second read could already see the next restart (state starting, no message).
    let waiting: { state: string; message?: string } | undefined;
    await waitFor(
      'waiting again',
      () => {
        waiting = task();
        return waiting?.state === 'failed';
      },
      60_000,
    );
    assert.match(waiting?.message ?? '', /exited with code 3 .*restarting in \d+ s \(crash-loop back-off\)/);
  });
});
