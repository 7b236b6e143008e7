import assert from 'node:assert/strict';
import { berth, berthJson, startCluster, startDaemon, TestCluster, waitFor } from '../harness/cluster';
import { dockerAvailable, skipWithoutDocker } from '../harness/dockerd';

interface Task {
  id: string;
  nodeId?: string;
  state: string;
  message?: string;
}
interface Claim {
  id: string;
  state: string;
  volumeId?: string;
}
interface Volume {
  id: string;
  nodeId?: string;
  state: string;
  claimId?: string;
}
interface Reservation {
  holderId: string;
  nodeId: string;
}

const CLASS = 'kind: StorageClass\nname: now\nspec: { plugin: berth.local, bindingMode: Immediate, reclaimPolicy: Delete, parameters: { pool: fast } }\n';
const app = (name: string, sizeMi: number, constraint: string) => `---
kind: App
name: ${name}
spec:
  image: busybox:local
  command: ["sh", "-c", "echo here > /data/mark; exec sleep 100000"]
  resources: { cpu: 0.1, memory: 16Mi }
${constraint}
  volumes: [{ name: data, mountPath: /data, claim: { storageClass: now, size: ${sizeMi}Mi } }]
`;

const available = dockerAvailable();

describe('Immediate binding: a volume is provisioned before its instance is placed, and the instance follows it', function () {
  this.timeout(300_000);
  let cluster: TestCluster;
  let api: string;

  before(async function () {
    skipWithoutDocker(this, available);
    cluster = await startCluster('immediate');
    ({ api } = cluster);
    await cluster.addNode('big', '1G');
    await cluster.addNode('small', '150M');
    assert.equal(berth(api, ['apply', '-f', '-'], CLASS).code, 0);
  });

  after(async () => {
    await cluster?.stop();
  });

  const tasks = () => berthJson<{ items: Task[] }>(api, ['get', 'tasks']).items;
  const claims = () => berthJson<{ items: Claim[] }>(api, ['get', 'claims']).items;
  const volumes = () => berthJson<{ items: Volume[] }>(api, ['get', 'volumes']).items;

  it("binds the claim while the task cannot be placed yet, then runs the task on the volume's node", async () => {
    // No node has this label: the task cannot be placed, yet its 300 MiB volume is created (only "big" has room).
    const blocked = '  constraints: [{ key: tier, value: gold }]';
    assert.equal(berth(api, ['apply', '-f', '-'], app('early', 300, blocked)).code, 0);
    const claim = await waitFor('claim bound', () => claims().find((c) => c.id === 'early/data/0' && c.state === 'bound'), 60_000);
    const volume = volumes().find((v) => v.id === claim.volumeId)!;
    assert.equal(volume.state, 'ready');
    assert.equal(volume.nodeId, 'big', 'the only pool with room for 300 MiB');
    const waiting = tasks().find((t) => t.id === 'early-0')!;
    assert.equal(waiting.state, 'pending', 'the instance is still not placed');
    assert.ok(!waiting.nodeId);

    assert.equal(berth(api, ['apply', '-f', '-'], app('early', 300, '')).code, 0);
    const running = await waitFor('task running', () => tasks().find((t) => t.id === 'early-0' && t.state === 'running'), 120_000);
    assert.equal(running.nodeId, 'big', 'the instance follows its volume');
    assert.equal(claims().find((c) => c.id === 'early/data/0')!.volumeId, volume.id, 'the same volume');
  });

  it('keeps a claim no node can hold pending with the reason, creating nothing', async () => {
    assert.equal(berth(api, ['apply', '-f', '-'], app('toobig', 4000, '')).code, 0);
    await waitFor('reason recorded', () => /no node can hold/.test(berth(api, ['describe', 'app', 'toobig']).stdout), 60_000);
    assert.equal(claims().find((c) => c.id === 'toobig/data/0')!.state, 'pending');
    assert.ok(!volumes().some((v) => v.claimId === 'toobig/data/0'), 'no volume intent was written');
    assert.match(tasks().find((t) => t.id === 'toobig-0')!.message ?? '', /Immediate binding/);
    assert.equal(berth(api, ['delete', 'app', 'toobig']).code, 0);
  });

  it('deletes the volume per reclaim policy and releases its reservation', async () => {
    const volumeId = claims().find((c) => c.id === 'early/data/0')!.volumeId!;
    assert.equal(berth(api, ['delete', 'app', 'early']).code, 0);
    await waitFor('app gone', () => !tasks().some((t) => t.id.startsWith('early')) && !volumes().some((v) => v.id === volumeId), 120_000);
    const held = berthJson<{ items: Reservation[] }>(api, ['get', 'reservations']).items;
    assert.ok(!held.some((r) => r.holderId.includes(volumeId)), `no reservation for ${volumeId}: ${JSON.stringify(held)}`);
  });
});

describe('a volume the plugin created just before a server crash is not left behind when its app is deleted', function () {
  this.timeout(300_000);
  let cluster: TestCluster;
  let api: string;

  before(async function () {
    skipWithoutDocker(this, available);
    cluster = await startCluster('intent', ['--node-down-after', '3']);
    ({ api } = cluster);
    await cluster.addNode('n1', '1G');
    // WaitForFirstConsumer; a class with a provisioner secret is provisioned by the server itself (the
    // agent is never handed that secret), one without by the node's agent.
    const secret = 'kind: Secret\nname: admin\ndata: { key: k }\n---\n';
    assert.equal(
      berth(
        api,
        ['apply', '-f', '-'],
        secret + CLASS.replace('bindingMode: Immediate, ', '').replace('reclaimPolicy: Delete,', 'reclaimPolicy: Delete, provisionerSecret: admin,'),
      ).code,
      0,
    );
    assert.equal(berth(api, ['apply', '-f', '-'], CLASS.replace('bindingMode: Immediate, ', '').replace('name: now', 'name: local')).code, 0);
  });

  after(async () => {
    await cluster?.stop();
  });

  const volumes = () => berthJson<{ items: Volume[] }>(api, ['get', 'volumes']).items;

  it('finds the volume again by its CreateVolume name and deletes it (the server made the call)', async () => {
    const [node] = cluster.nodes;
    // The server dies right after CreateVolume answered: the plugin has the volume, the records only the intent.
    await cluster.restartServer('SIGTERM', { BERTH_FAILPOINTS: 'server.create-volume.after-plugin' });
    assert.equal(berth(api, ['apply', '-f', '-'], app('crashy', 32, '')).code, 0);
    await cluster.server.exited;
    assert.equal((await node.plugin.client.controller('ListVolumes', {})).entries.length, 1, 'the plugin made the volume');
    // Keep the agent away so the restarted server cannot finish provisioning; delete the app meanwhile.
    await node.agent.stop();
    await cluster.restartServer();
    assert.equal(volumes()[0]?.state, 'creating');
    assert.equal(berth(api, ['delete', 'app', 'crashy']).code, 0);
    node.agent = startDaemon(node.agentArgs);
    await waitFor('volume record gone', () => volumes().length === 0, 120_000);
    assert.equal((await node.plugin.client.controller('ListVolumes', {})).entries.length, 0, 'the plugin volume was deleted too');
  });

  it('an app deleted while its agent is still creating the volume leaves no volume behind', async () => {
    const [node] = cluster.nodes;
    await node.agent.stop();
    // The agent's CreateVolume takes 8 s: long enough for the server to reclaim the claim first if it
    // took the agent's silence about the task for "stopped".
    const slow = 8_000;
    node.agent = startDaemon(node.agentArgs, { BERTH_FAILPOINTS: `agent.create-volume.before-plugin:${slow}` });
    assert.equal(berth(api, ['apply', '-f', '-'], app('racy', 32, '').replace('storageClass: now', 'storageClass: local')).code, 0);
    const tasks = () => berthJson<{ items: { id: string; state: string }[] }>(api, ['get', 'tasks']).items;
    await waitFor('task handed to the agent', () => tasks().some((t) => t.id === 'racy-0' && t.state === 'placed') && volumes().length === 1);
    const handed = Date.now();
    await new Promise((r) => setTimeout(r, 1000)); // the agent is inside its slow CreateVolume now
    assert.equal(berth(api, ['delete', 'app', 'racy']).code, 0);
    // The server must not reclaim the claim while the agent may still create its volume: it waits until
    // the agent, done with that start, stops the task and no longer reports it.
    await waitFor('app gone', () => tasks().length === 0 && volumes().length === 0, 120_000);
    await new Promise((r) => setTimeout(r, Math.max(0, handed + slow + 4_000 - Date.now()))); // past whatever the agent still had in flight
    assert.equal((await node.plugin.client.controller('ListVolumes', {})).entries.length, 0, 'no volume left in the plugin without a record');
    assert.equal(volumes().length, 0);
    await node.agent.stop();
    node.agent = startDaemon(node.agentArgs);
  });

  it('finds the volume again and deletes it when the agent that made the call crashed before anyone recorded it', async () => {
    const [node] = cluster.nodes;
    await node.agent.stop();
    node.agent = startDaemon(node.agentArgs, { BERTH_FAILPOINTS: 'agent.create-volume.after-plugin' });
    assert.equal(berth(api, ['apply', '-f', '-'], app('crashy2', 32, '').replace('storageClass: now', 'storageClass: local')).code, 0);
    await node.agent.exited;
    assert.equal((await node.plugin.client.controller('ListVolumes', {})).entries.length, 1, 'the plugin made the volume');
    assert.equal(volumes()[0]?.state, 'creating', 'the records have only the intent');
    assert.equal(berth(api, ['delete', 'app', 'crashy2']).code, 0);
    node.agent = startDaemon(node.agentArgs);
    await waitFor('volume record gone', () => volumes().length === 0, 120_000);
    assert.equal((await node.plugin.client.controller('ListVolumes', {})).entries.length, 0, 'the plugin volume was deleted too');
  });
});
