import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupUnder } from '../harness/cleanup';
import { berth, berthJson, Daemon, freePort, serverFiles, startDaemon, useServerToken, tokenArgs, waitFor } from '../harness/cluster';
import { dockerAvailable, DockerdHandle, startDockerd } from '../harness/dockerd';
import { hasCommand, tempDir } from '../harness/fs-helpers';
import { taskSubnetFor } from '../harness/task-subnet';
import { BERTH_BIN, PluginProcess, startPlugin } from '../harness/plugin-process';
import { Repository } from '../../backup/repository';
import { detachAllUnder, startTgtd, stopTgtd, targetNames, TgtdProcess, tgtadm } from '../iscsi-plugin/tgtd';
import { listMounts } from '../../lib/mounts/mounts';
import { pathComponentFor } from '../../agent/volume-attacher';

interface Task {
  id: string;
  nodeId?: string;
  state: string;
  restarts: number;
  message?: string;
}
interface Volume {
  id: string;
  plugin: string;
  csiVolumeId?: string;
  claimId?: string;
  nodeId?: string;
  state: string;
  published?: Record<string, Record<string, string>>;
}
interface NodeView {
  id: string;
  state: string;
  plugins?: { name: string; csiNodeId?: string; controllerCapabilities?: string[] }[];
}

const PREFIX = 'iqn.2025-01.io.berth';
const NODE = 'n1';
/** The plugin's own node id differs from the agent's on purpose: the server must publish to the csiNodeId NodeGetInfo reported. */
const CSI_NODE = 'iscsi-n1';
const INITIATOR = `${PREFIX}:node.${CSI_NODE}`;

const MANIFEST = `
kind: StorageClass
name: iscsi-ext4
spec: { plugin: berth.iscsi, reclaimPolicy: Delete, fsType: ext4, parameters: { pool: fast } }
---
kind: App
name: db
spec:
  instances: 1
  runtime: docker
  image: busybox:local
  command: ["sh", "-c", "[ -f /data/first ] || echo $HOSTNAME > /data/first; date >> /data/starts; sync; trap 'exit 0' TERM; sleep 100000 & wait"]
  resources: { cpu: 0.1, memory: 32Mi }
  volumes:
    - name: data
      mountPath: /data
      claim: { storageClass: iscsi-ext4, size: 64Mi }
`;

const docker = dockerAvailable();
const MISSING = ['tgtd', 'tgtadm', 'qemu-nbd', 'nbdfuse', 'fusermount3', 'mkfs.ext4'].filter((c) => !hasCommand(c));

/** The mounts and loop devices the user-space initiator left below `dir` (FUSE attach dirs and their loops). */
function attachments(dir: string): { fuse: string[]; loops: string[] } {
  const prefix = `${dir}/`;
  const fuse = listMounts()
    .filter((m) => m.mountPoint.startsWith(prefix) && m.fsType.startsWith('fuse'))
    .map((m) => m.mountPoint);
  let out = '';
  try {
    out = execFileSync('losetup', ['-a'], { encoding: 'utf8' });
  } catch {
    /* none */
  }
  const loops = out.split('\n').filter((l) => l.includes(`(${prefix}`) && l.includes('/nbd)'));
  return { fuse, loops };
}

describe('a stateful app on an iSCSI volume end to end: tgtd, user-space initiator, real dockerd, server, agent and plugin processes', function () {
  this.timeout(300_000);
  let dir: string;
  let tgtd: TgtdProcess | undefined;
  let dockerd: DockerdHandle | undefined;
  let server: Daemon | undefined;
  let agent: Daemon | undefined;
  let plugin: PluginProcess | undefined;
  let api: string;
  let agentState: string;
  let volume: Volume;

  before(async function () {
    if (!docker.ok) {
      console.log(`      skipped: ${docker.reason}`);
      this.skip();
    }
    if (MISSING.length > 0) {
      console.log(`      skipped: missing ${MISSING.join(', ')} (Debian: tgt libnbd-bin qemu-utils qemu-block-extra fuse3)`);
      this.skip();
    }
    // The test owns 127.0.0.1:3260 and tgtd's management socket: another tgtd would receive our targets.
    if (tgtadm(['--mode', 'target', '--op', 'show']).ok) throw new Error('another tgtd is already running here; stop it first (this test starts its own)');
    dir = tempDir('iscsi-app');
    mkdirSync(join(dir, 'pool'));
    tgtd = await startTgtd();
    dockerd = await startDockerd(join(dir, 'd'));
    const [port, agentPort] = [await freePort(), await freePort()];
    api = `http://127.0.0.1:${port}`;
    server = startDaemon(['server', '--data-dir', join(dir, 'server'), '--listen', `127.0.0.1:${port}`, '--agent-listen', `127.0.0.1:${agentPort}`]);
    useServerToken(api, join(dir, 'server'));
    await waitFor('server', () => berth(api, ['get', 'nodes']).code === 0);

    // The iSCSI plugin in "all" mode (controller + node) for this one node; it admits its own initiator
    // (PREFIX:node.CSI_NODE) when ControllerPublishVolume names its node id.
    const socket = join(dir, 'iscsi.sock');
    plugin = await startPlugin(
      [
        'iscsi',
        '--node-id',
        CSI_NODE,
        '--pool',
        `fast=${dir}/pool`,
        '--state-dir',
        join(dir, 'iscsi-state'),
        '--attach',
        'userspace',
        '--default-fs-type',
        'ext4',
      ],
      socket,
    );
    const pluginDir = join(dir, NODE, 'plugins');
    mkdirSync(pluginDir, { recursive: true });
    // GetCapacity accepts only the `pool` parameter (and fsType); the pool name is the plugin's --pool name.
    writeFileSync(
      join(pluginDir, 'berth.iscsi.json'),
      JSON.stringify({ endpoint: `unix://${socket}`, pools: [{ name: 'fast', parameters: { pool: 'fast' } }] }),
    );
    agentState = join(dir, NODE, 'agent');
    agent = startDaemon([
      'agent',
      '--join',
      `127.0.0.1:${agentPort}`,
      '--join-token-file',
      serverFiles(join(dir, 'server')).joinToken,
      '--node-id',
      NODE,
      '--plugin-dir',
      pluginDir,
      '--state-dir',
      agentState,
      '--runtime',
      'docker',
      '--docker-socket',
      dockerd.socket,
      '--docker-subnet',
      taskSubnetFor(dockerd.socket),
    ]);
    await waitFor('node n1 ready with the iSCSI plugin', () =>
      berthJson<{ items: NodeView[] }>(api, ['get', 'nodes']).items.some(
        (n) => n.id === NODE && n.state === 'ready' && (n.plugins ?? []).some((p) => p.name === 'berth.iscsi'),
      ),
    );
  });

  after(async () => {
    if (!dir) return;
    try {
      await agent?.stop().catch(() => undefined);
      await server?.stop().catch(() => undefined);
      await dockerd?.stop().catch(() => undefined);
      await plugin?.stop().catch(() => undefined);
    } finally {
      detachAllUnder(dir);
      await stopTgtd(tgtd);
      cleanupUnder(dir);
    }
  });

  const tasks = () => berthJson<{ items: Task[] }>(api, ['get', 'tasks']).items;
  const volumes = () => berthJson<{ items: Volume[] }>(api, ['get', 'volumes']).items;
  const hostData = (file: string) => readFileSync(join(agentState, 'publish', 'db-0', 'data', file), 'utf8');
  const targetShow = (iqn: string) => {
    const { out } = tgtadm(['--mode', 'target', '--op', 'show']);
    const start = out.indexOf(`: ${iqn}\n`);
    if (start < 0) return '';
    const next = out.indexOf('\nTarget ', start);
    return out.slice(start, next < 0 ? undefined : next);
  };
  const logsTail = () => `agent:\n${agent?.log().split('\n').slice(-15).join('\n')}\nserver:\n${server?.log().split('\n').slice(-15).join('\n')}`;

  it('registers the plugin with the node: NodeGetInfo id and PUBLISH_UNPUBLISH_VOLUME reported', () => {
    const n = berthJson<{ items: NodeView[] }>(api, ['get', 'nodes']).items.find((x) => x.id === NODE)!;
    const p = n.plugins!.find((x) => x.name === 'berth.iscsi')!;
    assert.equal(p.csiNodeId, CSI_NODE);
    assert.ok(p.controllerCapabilities?.includes('PUBLISH_UNPUBLISH_VOLUME'));
  });

  it("provisions a LUN, publishes it to the node's initiator, stages ext4 through the user-space initiator and runs the app in Docker", async () => {
    const applied = berth(api, ['apply', '-f', '-'], MANIFEST);
    assert.equal(applied.code, 0, applied.stderr);
    const t = await waitFor('db-0 running', () => tasks().find((x) => x.id === 'db-0' && x.state === 'running'), 120_000).catch((e: Error) => {
      throw new Error(`${e.message}\ntasks: ${JSON.stringify(tasks())}\n${logsTail()}`);
    });
    assert.equal(t.nodeId, NODE);
    const vs = volumes();
    assert.equal(vs.length, 1);
    volume = vs[0];
    assert.equal(volume.plugin, 'berth.iscsi');
    assert.match(volume.csiVolumeId ?? '', /^\S+$/);
    const iqn = `${PREFIX}:${volume.csiVolumeId}`;
    assert.ok(targetNames().includes(iqn), `tgt has the volume's target ${iqn}`);
    // ControllerPublishVolume went to the plugin's csiNodeId: the target's ACL admits exactly that node's initiator.
    assert.match(targetShow(iqn), new RegExp(`ACL information:\\s+${INITIATOR.replace(/\./g, '\\.')}\\s`), targetShow(iqn));
    const listed = (await plugin!.client.controller('ListVolumes', {})).entries.find((e) => e.volume?.volumeId === volume.csiVolumeId);
    assert.deepEqual(listed?.status?.publishedNodeIds, [CSI_NODE]);
    // The staging mount is ext4 on a loop device over the nbdfuse file that qemu-nbd serves from the LUN.
    const staging = join(agentState, 'staging', 'berth.iscsi', pathComponentFor(volume.csiVolumeId!));
    const [source, fstype] = execFileSync('findmnt', ['-n', '-o', 'SOURCE,FSTYPE', staging], { encoding: 'utf8' }).trim().split(/\s+/);
    assert.equal(fstype, 'ext4');
    assert.match(execFileSync('losetup', ['-n', '-O', 'BACK-FILE', source], { encoding: 'utf8' }), /\/nbd\s*$/);
    assert.equal(attachments(dir).fuse.length, 1, 'one FUSE attach for the one volume');
    // The container wrote through its bind mount onto the iSCSI filesystem.
    await waitFor('the container wrote its files', () => existsSync(join(agentState, 'publish', 'db-0', 'data', 'starts')));
    assert.equal(hostData('starts').trim().split('\n').length, 1);
    const first = hostData('first').trim();
    const c = await dockerd!.docker.getContainer('berth-db-0').inspect();
    assert.equal(first, c.Config.Hostname, 'written by this container');
    assert.ok(
      c.Mounts.some((m) => m.Destination === '/data' && m.Source === join(agentState, 'publish', 'db-0', 'data')),
      JSON.stringify(c.Mounts),
    );
  });

  it('restarts a killed container on the same node, and the new container finds the data on the iSCSI volume', async () => {
    const first = hostData('first');
    const before = (await dockerd!.docker.getContainer('berth-db-0').inspect()).State.StartedAt;
    await dockerd!.docker.getContainer('berth-db-0').kill();
    const t = await waitFor('db-0 restarted', () => tasks().find((x) => x.id === 'db-0' && x.restarts >= 1 && x.state === 'running'), 120_000);
    assert.equal(t.nodeId, NODE);
    await waitFor('the second start is recorded', () => hostData('starts').trim().split('\n').length === 2);
    assert.equal(hostData('first'), first, "the first container's file is still there");
    const after = await dockerd!.docker.getContainer('berth-db-0').inspect();
    assert.equal(after.State.Running, true);
    assert.notEqual(after.State.StartedAt, before, 'a new container start');
    // The same volume stays staged (one attach), still published only to this node.
    assert.equal(volumes()[0].csiVolumeId, volume.csiVolumeId);
    assert.equal(attachments(dir).fuse.length, 1);
    // And the data is on the LUN itself: read it back from the filesystem on the attached block device.
    const staging = join(agentState, 'staging', 'berth.iscsi', pathComponentFor(volume.csiVolumeId!));
    const source = execFileSync('findmnt', ['-n', '-o', 'SOURCE', staging], { encoding: 'utf8' }).trim();
    execFileSync('sync');
    const dumped = execFileSync('debugfs', ['-R', 'cat /first', source], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    assert.equal(dumped, first, 'debugfs reads the file from the ext4 on the iSCSI LUN');
  });

  it("backs it up through the data mover's generic path: the temporary volume is ControllerPublished to the node, read, then torn down", async () => {
    const cli = (args: string[]) =>
      spawnSync(process.execPath, [BERTH_BIN, '--server', api, ...tokenArgs(api), ...args], {
        encoding: 'utf8',
        timeout: 300_000,
        env: { ...process.env, BERTH_REPO_PASSPHRASE: 'iscsi backup passphrase' },
      });
    const added = cli(['repo', 'add', 'main', '--location', join(dir, 'repo'), '--init']);
    assert.equal(added.status, 0, added.stderr);
    const created = cli(['backup', 'create', 'db', '--wait', '-o', 'json']);
    assert.equal(created.status, 0, `${created.stderr}\n${logsTail()}`);
    const backup = JSON.parse(created.stdout) as { id: string; state: string; volumes: { volume: string; state: string; path?: string }[] };
    assert.equal(backup.state, 'ready');
    assert.deepEqual(
      backup.volumes.map((v) => [v.volume, v.state]),
      [['data-0', 'done']],
    );
    // What the backup holds is the app's data: the file the first container wrote.
    const repo = await Repository.open(join(dir, 'repo'), 'iscsi backup passphrase');
    const tree = await repo.readFileTree(backup.id, 'data-0');
    assert.ok(
      tree.files.some((f) => f.path === 'first'),
      JSON.stringify(tree.files.map((f) => f.path)),
    );
    // Nothing of the temporary volume is left: no target beyond the app's, no mover attachment, no extra LUN.
    assert.deepEqual(targetNames(), [`${PREFIX}:${volume.csiVolumeId}`]);
    assert.deepEqual(existsSync(join(agentState, 'mover')) ? readdirSync(join(agentState, 'mover')) : [], []);
    const listed = await plugin!.client.controller('ListVolumes', {});
    assert.deepEqual(
      listed.entries.map((e) => e.volume?.volumeId),
      [volume.csiVolumeId],
    );
    assert.equal(attachments(dir).fuse.length, 1, "only the app's own attachment");
  });

  it('deletes the app: container gone, volume unstaged, unpublished and deleted through CSI (reclaim Delete), target gone from tgt', async () => {
    const iqn = `${PREFIX}:${volume.csiVolumeId}`;
    const r = berth(api, ['delete', 'app', 'db']);
    assert.equal(r.code, 0, r.stderr);
    await waitFor('app gone', () => !berthJson<{ items: { name: string }[] }>(api, ['get', 'apps']).items.some((a) => a.name === 'db'), 120_000).catch(
      (e: Error) => {
        throw new Error(`${e.message}\n${logsTail()}`);
      },
    );
    await waitFor('volume record gone', () => volumes().length === 0, 60_000);
    const listed = await plugin!.client.controller('ListVolumes', {});
    assert.ok(!listed.entries.some((e) => e.volume?.volumeId === volume.csiVolumeId), 'the plugin deleted the volume');
    assert.ok(!targetNames().includes(iqn), 'the target is gone from tgt');
    assert.deepEqual(targetNames(), []);
    assert.deepEqual(
      readdirSync(join(dir, 'pool', 'volumes')).filter((f) => f.endsWith('.img')),
      [],
      'the backing file is gone',
    );
    assert.deepEqual(attachments(dir), { fuse: [], loops: [] }, 'unstage detached the loop device and the FUSE mount');
    assert.ok(!listMounts().some((m) => m.mountPoint.startsWith(`${agentState}/`)), 'no staging or publish mounts left');
    assert.deepEqual(
      (await dockerd!.docker.listContainers({ all: true })).map((c) => c.Names.join(',')),
      [],
    );
    const events = berthJson<{ items: { reason: string; message: string }[] }>(api, ['get', 'events']).items;
    assert.ok(
      events.some((e) => e.reason === 'VolumeDeleted'),
      JSON.stringify(events.slice(-10)),
    );
    assert.ok(
      !events.some((e) => e.reason === 'ReclaimFailed'),
      `the agent unstaged before the server deleted: ${JSON.stringify(events.filter((e) => e.reason === 'ReclaimFailed'))}`,
    );
  });
});
