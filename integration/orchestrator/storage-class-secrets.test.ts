import assert from 'node:assert/strict';
import { berth, berthJson, startCluster, TestCluster, waitFor } from '../harness/cluster';
import { dockerAvailable, skipWithoutDocker } from '../harness/dockerd';

// Values that must reach the plugin and never any log or output.
const PROVISIONER = 'prov-Value-7f3a';
const STAGE = 'stage-Value-91c2';
const PUBLISH = 'publish-Value-4d8e';

const manifests = `
kind: Secret
name: backend-admin
data: { apiKey: ${PROVISIONER} }
---
kind: Secret
name: node-stage
data: { stageKey: ${STAGE} }
---
kind: Secret
name: node-publish
data: { publishKey: ${PUBLISH} }
---
kind: StorageClass
name: guarded
spec:
  plugin: berth.local
  reclaimPolicy: Delete
  provisionerSecret: backend-admin
  stageSecret: node-stage
  publishSecret: node-publish
  parameters: { pool: fast }
---
kind: App
name: vault
spec:
  image: busybox:local
  command: ["sh", "-c", "echo kept > /data/mark; exec sleep 100000"]
  resources: { cpu: 0.1, memory: 16Mi }
  volumes: [{ name: data, mountPath: /data, claim: { storageClass: guarded, size: 32Mi } }]
`;

interface LoggedCall {
  rpc: string;
  request?: { secrets?: Record<string, string> };
}

const available = dockerAvailable();

describe('storage class secrets reach the plugin in the calls the CSI spec names, and no log', function () {
  this.timeout(300_000);
  let cluster: TestCluster;
  let api: string;

  before(async function () {
    skipWithoutDocker(this, available);
    cluster = await startCluster('secrets');
    ({ api } = cluster);
    await cluster.addNode('n1', '1G');
  });

  after(async () => {
    await cluster?.stop();
  });

  /** The plugin's request log (debug level; secret values redacted, key names kept). */
  const calls = (): LoggedCall[] =>
    cluster.nodes[0]!.plugin.log()
      .split('\n')
      .filter((l) => l.includes('"request"'))
      .map((l) => JSON.parse(l) as LoggedCall);
  const secretsOf = (rpc: string) =>
    calls()
      .filter((c) => c.rpc === rpc)
      .map((c) =>
        Object.keys(c.request?.secrets ?? {})
          .sort()
          .join(','),
      );
  /** The secret key names of each logged call of `rpc`, once the plugin's (buffered) log shows one. */
  const logged = (rpc: string) =>
    waitFor(
      `${rpc} in the plugin log`,
      () => {
        const s = secretsOf(rpc);
        return s.length > 0 && s;
      },
      10_000,
    );

  it('provisioner secret in CreateVolume and DeleteVolume, stage secret in NodeStage, publish secret in NodePublish', async () => {
    assert.equal(berth(api, ['apply', '-f', '-'], manifests).code, 0);
    await waitFor(
      'vault running',
      () => berthJson<{ items: { id: string; state: string }[] }>(api, ['get', 'tasks']).items.some((t) => t.id === 'vault-0' && t.state === 'running'),
      120_000,
    );
    assert.deepEqual(await logged('Controller.CreateVolume'), ['apiKey']);
    assert.deepEqual(await logged('Node.NodeStageVolume'), ['stageKey']);
    assert.deepEqual(await logged('Node.NodePublishVolume'), ['publishKey']);

    assert.equal(berth(api, ['delete', 'app', 'vault']).code, 0);
    await waitFor('volume deleted', () => berthJson<{ items: unknown[] }>(api, ['get', 'volumes']).items.length === 0, 120_000);
    assert.deepEqual(await logged('Controller.DeleteVolume'), ['apiKey']);
  });

  it('never writes a secret value to the server, agent or plugin log, or to the CLI output', () => {
    const outputs = [
      cluster.server.log(),
      cluster.nodes[0]!.agent.log(),
      cluster.nodes[0]!.plugin.log(),
      berth(api, ['get', 'storageclasses', '-o', 'yaml']).stdout,
      berth(api, ['get', 'events', '-o', 'json']).stdout,
    ];
    for (const value of [PROVISIONER, STAGE, PUBLISH]) {
      for (const [i, text] of outputs.entries()) assert.equal(text.includes(value), false, `secret value found in output ${i}`);
    }
  });
});
