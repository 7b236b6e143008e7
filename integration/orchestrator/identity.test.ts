/**
 * Identity end to end: an App runs as another user with fsGroup on both runtimes, writing into a
 * fresh volume whose root it was given; a process task has its own PID namespace and /tmp; deleting
 * the app leaves no process and no mount.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { processesWithMarker as withMarker } from '../harness/fs-helpers';
import { basename, join } from 'node:path';
import { listMounts } from '../../lib/mounts/mounts';
import { berth, berthJson, NodeHandle, startCluster, startNode, TestCluster, waitFor } from '../harness/cluster';
import { dockerAvailable, skipWithoutDocker } from '../harness/dockerd';

interface Task {
  id: string;
  nodeId?: string;
  state: string;
}

const MARK = `berth-identity-e2e-${process.pid}`;

const MANIFEST = `
kind: StorageClass
name: ident
spec: { plugin: berth.local, reclaimPolicy: Delete, parameters: { pool: fast } }
---
kind: App
name: who
spec:
  runtime: process
  user: nobody
  fsGroup: 4242
  env: { MARK: ${MARK} }
  stop: { signal: SIGTERM, gracePeriod: 60s }
  command: ["sh", "-c", "cd $BERTH_VOLUME_DATA; id -u > uid; id -G > groups; echo $$ > pid; touch /tmp/mine; ls -A /tmp > tmp; sleep 100000 & wait"]
  resources: { cpu: 0.1, memory: 32Mi }
  volumes:
    - name: data
      mountPath: /data
      claim: { storageClass: ident, size: 64Mi }
---
kind: App
name: dwho
spec:
  runtime: docker
  image: busybox:local
  user: "1000:1000"
  stop: { signal: SIGTERM, gracePeriod: 2s }
  fsGroup: 4242
  command: ["sh", "-c", "id -u > /data/uid; id -G > /data/groups; exec sleep 100000"]
  resources: { cpu: 0.1, memory: 32Mi }
  volumes:
    - name: data
      mountPath: /data
      claim: { storageClass: ident, size: 64Mi }
`;

const available = dockerAvailable();

describe('identity end to end: user, fsGroup and volume owner on the process and docker runtimes', function () {
  this.timeout(300_000);
  let cluster: TestCluster;
  let api: string;
  let dockerNode: NodeHandle;
  let processNode: NodeHandle;

  before(async function () {
    skipWithoutDocker(this, available);
    cluster = await startCluster('identity');
    api = cluster.api;
    dockerNode = await cluster.addNode('n1', '512M');
    processNode = await startNode(cluster.dir, 'p1', {
      poolSize: '512M',
      agentServer: cluster.agentAddress,
      joinTokenFile: cluster.joinTokenFile,
      runtime: 'process',
    });
    cluster.nodes.push(processNode);
    await waitFor('node p1 ready', () =>
      berthJson<{ items: { id: string; state: string }[] }>(api, ['get', 'nodes']).items.some((n) => n.id === 'p1' && n.state === 'ready'),
    );
  });

  after(async () => {
    await cluster?.stop();
  });

  const tasks = () => berthJson<{ items: Task[] }>(api, ['get', 'tasks']).items;
  const volumeOf = (node: NodeHandle, task: string) => join(node.stateDir, 'publish', task, 'data');
  const written = (node: NodeHandle, task: string, file: string) => {
    try {
      return readFileSync(join(volumeOf(node, task), file), 'utf8').trim();
    } catch {
      return '';
    }
  };

  it('runs each app as its user with fsGroup, writing into its fresh volume root', async () => {
    const applied = berth(api, ['apply', '-f', '-'], MANIFEST);
    assert.equal(applied.code, 0, applied.stderr);
    const running = await waitFor(
      'both tasks running',
      () => {
        const t = tasks();
        return t.length === 2 && t.every((x) => x.state === 'running') && t;
      },
      120_000,
    );
    assert.deepEqual(running.map((t) => `${t.id} ${t.nodeId}`).sort(), ['dwho-0 n1', 'who-0 p1']);

    // The process runtime: nobody, resolved on the node, in its own PID namespace and /tmp.
    await waitFor('who-0 to write', () => written(processNode, 'who-0', 'tmp'));
    const volume = volumeOf(processNode, 'who-0');
    assert.equal(written(processNode, 'who-0', 'uid'), '65534');
    assert.ok(written(processNode, 'who-0', 'groups').split(' ').includes('4242'), 'fsGroup is among its groups');
    assert.equal(statSync(volume).uid, 65534, 'the volume root was given to the user');
    assert.equal(statSync(volume).gid, 4242, 'and to fsGroup');
    assert.equal(statSync(join(volume, 'uid')).gid, 4242, 'files it makes belong to fsGroup (setgid root)');
    assert.ok(Number(written(processNode, 'who-0', 'pid')) < 50, 'one of the first pids of its own namespace');
    // Its /tmp is its own: what it made, and the way to its volume (the test cluster lives under the node's /tmp).
    assert.deepEqual(written(processNode, 'who-0', 'tmp').split('\n').sort(), [basename(cluster.dir), 'mine'].sort());
    assert.ok(withMarker(MARK).length >= 3, 'its processes run');

    // Docker: User and GroupAdd; a numeric user owns the volume root.
    await waitFor('dwho-0 to write', () => written(dockerNode, 'dwho-0', 'groups'));
    assert.equal(written(dockerNode, 'dwho-0', 'uid'), '1000');
    assert.ok(written(dockerNode, 'dwho-0', 'groups').split(' ').includes('4242'), 'fsGroup is among its groups');
    assert.equal(statSync(volumeOf(dockerNode, 'dwho-0')).uid, 1000);
    assert.equal(statSync(volumeOf(dockerNode, 'dwho-0')).gid, 4242);
  });

  it('delete leaves no process and no mount', async () => {
    const t0 = Date.now();
    for (const app of ['who', 'dwho']) assert.equal(berth(api, ['delete', 'app', app]).code, 0);
    await waitFor('apps gone', () => berthJson<{ items: unknown[] }>(api, ['get', 'apps']).items.length === 0, 120_000);
    // The stop signal reached the process task's command inside its namespace: no need for its 60 s grace period.
    assert.ok(Date.now() - t0 < 45_000, `deleted in ${Date.now() - t0} ms`);
    await waitFor('volumes gone', () => berthJson<{ items: unknown[] }>(api, ['get', 'volumes']).items.length === 0, 60_000);
    assert.deepEqual(withMarker(MARK), [], 'no process of the task is left');
    const publish = (node: NodeHandle) => `${join(node.stateDir, 'publish')}/`;
    assert.deepEqual(
      listMounts()
        .map((m) => m.mountPoint)
        .filter((m) => m.startsWith(publish(processNode)) || m.startsWith(publish(dockerNode))),
      [],
      'nothing is mounted for the tasks',
    );
    assert.equal(tasks().length, 0);
  });
});
