import { status } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupUnder } from '../harness/cleanup';
import { expectCode } from '../harness/expect-code';
import { tempDir } from '../harness/fs-helpers';
import { PluginProcess, startPlugin } from '../harness/plugin-process';
import { isMountPoint } from '../../lib/mounts/mounts';
import { kernelHasNfs } from '../../plugins/nfs/node';
import type { AccessMode, VolumeCapability } from '../../proto/csi/types';
import {
  buildSourceAddressShim,
  ClientOptions,
  Daemon,
  nfsCat,
  nfsLs,
  nfsPut,
  removeRpcbindSocket,
  startGanesha,
  startRpcbind,
  stopDaemon,
} from './nfs-server';

const MiB = 1024 * 1024;
const cap = (mode: AccessMode = 'MULTI_NODE_MULTI_WRITER', mountFlags: string[] = []): VolumeCapability => ({
  mount: { fsType: '', mountFlags },
  accessMode: { mode },
});
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const REFUSED = /MNT3ERR_ACCES|Permission denied|NFS3ERR_ACCES/;
const KERNEL_NFS = kernelHasNfs();

describe('NFS CSI plugin on a real nfs-ganesha server', function () {
  this.timeout(180_000);
  let dir: string;
  let root: string;
  let ganeshaConf: string;
  let ganeshaLog: string;
  let ganeshaPid: string;
  let plugin: PluginProcess | undefined;
  let rpcbind: Daemon | undefined;
  let ganesha: Daemon | undefined;
  let shim: string | undefined;
  let shimReason = '';
  let args: string[];

  /** A local file of `bytes` random bytes, to copy in over NFS. */
  function localFile(name: string, bytes: number): { path: string; hash: string } {
    const data = randomBytes(bytes);
    const path = join(dir, 'files', name);
    mkdirSync(join(dir, 'files'), { recursive: true });
    writeFileSync(path, data);
    return { path, hash: sha(data) };
  }

  const from = (address: string): ClientOptions => (address === '127.0.0.1' ? {} : { from: address, shim });
  const config = () => readFileSync(ganeshaConf, 'utf8');

  before(async () => {
    dir = tempDir('nfs');
    root = join(dir, 'root');
    mkdirSync(root);
    const image = join(dir, 'root.img');
    execFileSync('truncate', ['-s', '384M', image]);
    execFileSync('mkfs.btrfs', ['-q', '-f', image]);
    const loop = execFileSync('losetup', ['-f', '--show', image], { encoding: 'utf8' }).trim();
    execFileSync('mount', [loop, root]);
    const built = buildSourceAddressShim(dir);
    shim = built.path;
    shimReason = built.reason ?? '';
    ganeshaConf = join(dir, 'ganesha.conf');
    ganeshaLog = join(dir, 'ganesha.log');
    ganeshaPid = join(dir, 'ganesha.pid');
    rpcbind = await startRpcbind();
    args = [
      'nfs',
      '--node-id',
      '127.0.0.1',
      '--export-root',
      root,
      '--state-dir',
      join(dir, 'state'),
      '--ganesha-config',
      ganeshaConf,
      '--ganesha-pidfile',
      ganeshaPid,
      '--ganesha-log',
      ganeshaLog,
      '--bind-address',
      '127.0.0.1',
      '--node-address',
      'node-b=127.0.0.2',
      '--node-address',
      'node-c=127.0.0.3',
      '--default-volume-size',
      '16Mi',
    ];
    // The plugin writes the config before ganesha exists; ganesha then starts with the plugin's file.
    plugin = await startPlugin(args, join(dir, 'csi.sock'));
    assert.ok(existsSync(ganeshaConf), 'the plugin wrote the ganesha config');
    ganesha = await startGanesha(ganeshaConf, ganeshaLog, ganeshaPid);
  });

  after(async () => {
    await plugin?.stop().catch(() => undefined);
    await stopDaemon(ganesha);
    await stopDaemon(rpcbind);
    removeRpcbindSocket();
    if (dir) cleanupUnder(dir);
  });

  const c = () => plugin!.client;
  const create = async (name: string, bytes = 16 * MiB, extra: Record<string, unknown> = {}) =>
    (await c().controller('CreateVolume', { name, capacityRange: { requiredBytes: String(bytes) }, volumeCapabilities: [cap()], ...extra })).volume!;
  const share = (v: { volumeContext?: Record<string, string> }) => v.volumeContext!.share;

  it('identifies itself, owns the ganesha config and is ready once ganesha runs', async () => {
    assert.equal(statSync(plugin!.socket).mode & 0o777, 0o600);
    assert.equal((await c().identity('GetPluginInfo', {})).name, 'berth.nfs');
    assert.equal((await c().identity('Probe', {})).ready?.value, true);
    assert.match(config(), /^# Written by the berth\.nfs CSI plugin/);
    assert.match(config(), /Bind_addr = 127\.0\.0\.1;/);
    assert.equal((await c().node('NodeGetInfo', {})).nodeId, '127.0.0.1');
  });

  it('gives each volume its own export, closed until a node is published', async () => {
    const v = await create('closed');
    assert.equal(v.volumeContext?.server, '127.0.0.1');
    assert.equal(share(v), join(root, 'exports', v.volumeId));
    const block = config()
      .split('EXPORT {')
      .find((b) => b.includes(share(v)))!;
    assert.match(block, /Access_Type = None;/);
    assert.doesNotMatch(block, /CLIENT/);
    const ls = nfsLs(share(v));
    assert.equal(ls.ok, false, 'nobody is allowed in before ControllerPublishVolume');
    assert.match(ls.stderr, REFUSED);
    await c().controller('DeleteVolume', { volumeId: v.volumeId });
  });

  it('publishes to a node: real NFS writes and reads, capacity enforced over NFS, expansion, unpublish revokes', async () => {
    const v = await create('io', 8 * MiB);
    const pub = await c().controller('ControllerPublishVolume', { volumeId: v.volumeId, nodeId: '127.0.0.1', volumeCapability: cap() });
    assert.equal(pub.publishContext.address, '127.0.0.1');
    assert.match(config(), /CLIENT \{ Clients = 127\.0\.0\.1; Access_Type = RW; \}/);
    const small = localFile('small', 4 * MiB);
    const put = nfsPut(small.path, `${share(v)}/small`);
    assert.ok(put.ok, put.stderr);
    assert.equal(sha(nfsCat(`${share(v)}/small`).stdout), small.hash, 'read back over NFS');
    assert.ok(existsSync(join(root, 'volumes', v.volumeId, 'small')), 'the data lives in the volume subvolume');

    const big = localFile('big', 12 * MiB);
    const over = nfsPut(big.path, `${share(v)}/big`);
    assert.equal(over.ok, false, 'a write past the 8 MiB quota fails over NFS');

    const grown = await c().controller('ControllerExpandVolume', { volumeId: v.volumeId, capacityRange: { requiredBytes: String(32 * MiB) } });
    assert.equal(grown.capacityBytes, String(32 * MiB));
    assert.equal(grown.nodeExpansionRequired, false);
    const after = nfsPut(big.path, `${share(v)}/big2`);
    assert.ok(after.ok, `after expansion 12 MiB fits: ${after.stderr}`);
    assert.equal(sha(nfsCat(`${share(v)}/big2`).stdout), big.hash);

    await c().controller('ControllerUnpublishVolume', { volumeId: v.volumeId, nodeId: '127.0.0.1' });
    await c().controller('ControllerUnpublishVolume', { volumeId: v.volumeId, nodeId: '127.0.0.1' }); // repeat: OK
    const ls = nfsLs(share(v));
    assert.equal(ls.ok, false, 'an unpublished node is refused');
    assert.match(ls.stderr, REFUSED);
    await c().controller('DeleteVolume', { volumeId: v.volumeId });
  });

  it('lets in only the published node: 127.0.0.2 allowed, 127.0.0.1 refused; read-only grants refuse writes', async () => {
    // The shim is built with cc, which this machine kind has (node-gyp needs it): its absence is a failure, not a skip.
    assert.ok(shim, `no source-address shim: ${shimReason}`);
    const v = await create('acl');
    await c().controller('ControllerPublishVolume', { volumeId: v.volumeId, nodeId: 'node-b', volumeCapability: cap() });
    const f = localFile('acl', MiB);
    const putB = nfsPut(f.path, `${share(v)}/from-b`, from('127.0.0.2'));
    assert.ok(putB.ok, `node-b (127.0.0.2) may write: ${putB.stderr}`);
    const lsA = nfsLs(share(v));
    assert.equal(lsA.ok, false, '127.0.0.1 is not published and is refused');
    assert.match(lsA.stderr, REFUSED);
    assert.equal(nfsPut(f.path, `${share(v)}/from-a`).ok, false);

    await c().controller('ControllerPublishVolume', { volumeId: v.volumeId, nodeId: 'node-c', volumeCapability: cap(), readonly: true });
    assert.match(config(), /CLIENT \{ Clients = 127\.0\.0\.3; Access_Type = RO; \}/);
    assert.equal(sha(nfsCat(`${share(v)}/from-b`, from('127.0.0.3')).stdout), f.hash, 'read-only node reads');
    assert.equal(nfsPut(f.path, `${share(v)}/from-c`, from('127.0.0.3')).ok, false, 'read-only node cannot write');
    await expectCode(c().controller('ControllerPublishVolume', { volumeId: v.volumeId, nodeId: 'node-c', volumeCapability: cap() }), status.ALREADY_EXISTS);

    const listed = (await c().controller('ListVolumes', {})).entries.find((e) => e.volume?.volumeId === v.volumeId)!;
    assert.deepEqual([...listed.status!.publishedNodeIds].sort(), ['node-b', 'node-c']);
    await expectCode(c().controller('DeleteVolume', { volumeId: v.volumeId }), status.FAILED_PRECONDITION);
    await c().controller('ControllerUnpublishVolume', { volumeId: v.volumeId, nodeId: 'node-b' });
    assert.equal(nfsLs(share(v), from('127.0.0.2')).ok, false, 'node-b is refused after unpublish');
    assert.ok(nfsLs(share(v), from('127.0.0.3')).ok, 'node-c still reads');
    await c().controller('ControllerUnpublishVolume', { volumeId: v.volumeId, nodeId: '' }); // every node
    assert.equal(nfsLs(share(v), from('127.0.0.3')).ok, false);
    await c().controller('DeleteVolume', { volumeId: v.volumeId });
  });

  it('restores a snapshot and clones a volume with equal data over NFS', async () => {
    const v = await create('snapsrc', 16 * MiB);
    await c().controller('ControllerPublishVolume', { volumeId: v.volumeId, nodeId: '127.0.0.1', volumeCapability: cap() });
    const f = localFile('snapdata', 3 * MiB);
    assert.ok(nfsPut(f.path, `${share(v)}/data`).ok);
    const snap = (await c().controller('CreateSnapshot', { name: 'snap1', sourceVolumeId: v.volumeId })).snapshot!;
    assert.equal(snap.readyToUse, true);
    assert.equal((await c().controller('CreateSnapshot', { name: 'snap1', sourceVolumeId: v.volumeId })).snapshot?.snapshotId, snap.snapshotId);
    await expectCode(c().controller('CreateSnapshot', { name: 'snap1', sourceVolumeId: 'nfsvol-0000000000000000' }), status.ALREADY_EXISTS);
    const later = localFile('later', 1024);
    assert.ok(nfsPut(later.path, `${share(v)}/later`).ok, 'a file written after the snapshot');
    assert.equal((await c().controller('GetSnapshot', { snapshotId: snap.snapshotId })).snapshot?.sourceVolumeId, v.volumeId);

    const restored = await create('fromsnap', 16 * MiB, { volumeContentSource: { snapshot: { snapshotId: snap.snapshotId } } });
    assert.equal(restored.contentSource?.snapshot?.snapshotId, snap.snapshotId);
    const clone = await create('clone', 16 * MiB, { volumeContentSource: { volume: { volumeId: v.volumeId } } });
    for (const x of [restored, clone]) await c().controller('ControllerPublishVolume', { volumeId: x.volumeId, nodeId: '127.0.0.1', volumeCapability: cap() });
    assert.equal(sha(nfsCat(`${share(restored)}/data`).stdout), f.hash, 'snapshot data is equal over NFS');
    assert.equal(nfsCat(`${share(restored)}/later`).ok, false, 'the snapshot predates the later file');
    assert.equal(sha(nfsCat(`${share(clone)}/data`).stdout), f.hash);
    assert.equal(sha(nfsCat(`${share(clone)}/later`).stdout), later.hash, 'the clone has the later file too');
    await expectCode(create('toosmall', 8 * MiB, { volumeContentSource: { snapshot: { snapshotId: snap.snapshotId } } }), status.OUT_OF_RANGE);
    await expectCode(create('nosnap', 16 * MiB, { volumeContentSource: { snapshot: { snapshotId: 'nfssnap-0000000000000000' } } }), status.NOT_FOUND);

    for (const x of [v, restored, clone]) {
      await c().controller('ControllerUnpublishVolume', { volumeId: x.volumeId, nodeId: '127.0.0.1' });
      await c().controller('DeleteVolume', { volumeId: x.volumeId });
    }
    await c().controller('DeleteSnapshot', { snapshotId: snap.snapshotId });
    await c().controller('DeleteSnapshot', { snapshotId: snap.snapshotId });
    await expectCode(c().controller('GetSnapshot', { snapshotId: snap.snapshotId }), status.NOT_FOUND);
    assert.equal(existsSync(join(root, 'snapshots', snap.snapshotId)), false);
  });

  it('delete removes the export and the data', async () => {
    const v = await create('gone');
    await c().controller('ControllerPublishVolume', { volumeId: v.volumeId, nodeId: '127.0.0.1', volumeCapability: cap() });
    assert.ok(nfsPut(localFile('gone', 1024).path, `${share(v)}/f`).ok);
    await c().controller('ControllerUnpublishVolume', { volumeId: v.volumeId, nodeId: '127.0.0.1' });
    await c().controller('DeleteVolume', { volumeId: v.volumeId });
    await c().controller('DeleteVolume', { volumeId: v.volumeId }); // again: still success
    assert.ok(!config().includes(v.volumeId), 'no export left in the config');
    assert.equal(nfsLs(share(v)).ok, false, 'ganesha no longer serves it');
    assert.equal(existsSync(join(root, 'volumes', v.volumeId)), false, 'the subvolume is gone');
    assert.equal(existsSync(share(v)), false, 'the export mount point is gone');
    assert.equal(isMountPoint(share(v)), false);
  });

  it('answers idempotent repeats and bad requests with the codes the CSI spec names', async () => {
    const req = { name: 'idem', capacityRange: { requiredBytes: String(4 * MiB) }, volumeCapabilities: [cap()] };
    const a = (await c().controller('CreateVolume', req)).volume!;
    assert.equal((await c().controller('CreateVolume', req)).volume!.volumeId, a.volumeId);
    await expectCode(c().controller('CreateVolume', { ...req, capacityRange: { requiredBytes: String(8 * MiB) } }), status.ALREADY_EXISTS);
    await expectCode(c().controller('CreateVolume', { ...req, parameters: { squash: 'root_squash' } }), status.ALREADY_EXISTS);
    await expectCode(c().controller('CreateVolume', { name: '', volumeCapabilities: [cap()] }), status.INVALID_ARGUMENT);
    await expectCode(c().controller('CreateVolume', { name: 'x', volumeCapabilities: [] }), status.INVALID_ARGUMENT);
    await expectCode(
      c().controller('CreateVolume', { name: 'x', volumeCapabilities: [{ block: {}, accessMode: { mode: 'SINGLE_NODE_WRITER' } }] }),
      status.INVALID_ARGUMENT,
    );
    await expectCode(
      c().controller('CreateVolume', { name: 'x', volumeCapabilities: [cap('MULTI_NODE_MULTI_WRITER', ['vers=3;rm -rf'])] }),
      status.INVALID_ARGUMENT,
    );
    await expectCode(
      c().controller('CreateVolume', { name: 'x', volumeCapabilities: [cap()], capacityRange: { requiredBytes: String(100 * 1024 * MiB) } }),
      status.RESOURCE_EXHAUSTED,
    );
    await expectCode(
      c().controller('CreateVolume', { name: 'x', volumeCapabilities: [cap()], capacityRange: { requiredBytes: '200', limitBytes: '100' } }),
      status.OUT_OF_RANGE,
    );
    // publish
    const pubReq = { volumeId: a.volumeId, nodeId: '127.0.0.1', volumeCapability: cap('SINGLE_NODE_WRITER') };
    await expectCode(c().controller('ControllerPublishVolume', { ...pubReq, volumeId: 'nfsvol-0000000000000000' }), status.NOT_FOUND);
    await expectCode(c().controller('ControllerPublishVolume', { ...pubReq, nodeId: 'no-such-node' }), status.NOT_FOUND);
    await expectCode(c().controller('ControllerPublishVolume', { ...pubReq, volumeCapability: undefined }), status.INVALID_ARGUMENT);
    await expectCode(c().controller('ControllerPublishVolume', { ...pubReq, nodeId: '' }), status.INVALID_ARGUMENT);
    await c().controller('ControllerPublishVolume', pubReq);
    await c().controller('ControllerPublishVolume', pubReq); // same again: OK
    await expectCode(c().controller('ControllerPublishVolume', { ...pubReq, readonly: true }), status.ALREADY_EXISTS);
    await expectCode(c().controller('ControllerPublishVolume', { ...pubReq, nodeId: 'node-b' }), status.FAILED_PRECONDITION);
    await c().controller('ControllerUnpublishVolume', { volumeId: a.volumeId, nodeId: '127.0.0.1' });
    await c().controller('ControllerUnpublishVolume', { volumeId: 'nfsvol-0000000000000000', nodeId: '127.0.0.1' }); // unknown: OK
    await expectCode(c().controller('ControllerUnpublishVolume', { volumeId: '', nodeId: '127.0.0.1' }), status.INVALID_ARGUMENT);
    // paging
    const more = [await create('p1', MiB), await create('p2', MiB)];
    const first = await c().controller('ListVolumes', { maxEntries: 2 });
    assert.equal(first.entries.length, 2);
    assert.notEqual(first.nextToken, '');
    const rest = await c().controller('ListVolumes', { startingToken: first.nextToken });
    const seen = [...first.entries, ...rest.entries].map((e) => e.volume!.volumeId);
    for (const x of [a, ...more]) assert.ok(seen.includes(x.volumeId));
    await expectCode(c().controller('ListVolumes', { startingToken: 'garbage' }), status.ABORTED);
    // capacity accounting
    const before = Number((await c().controller('GetCapacity', {})).availableCapacity);
    const big = await create('cap', 64 * MiB);
    assert.equal(before - Number((await c().controller('GetCapacity', {})).availableCapacity), 64 * MiB);
    for (const x of [a, ...more, big]) await c().controller('DeleteVolume', { volumeId: x.volumeId });
  });

  it('never lets a hostile name, parameter, node id or context reach a path, the config or mount', async () => {
    const hostile = 'evil\n}\nEXPORT { Export_Id = 999; Path = "/"; Pseudo = "/"; Access_Type = RW; }\n#';
    const v = (await c().controller('CreateVolume', { name: hostile, capacityRange: { requiredBytes: String(MiB) }, volumeCapabilities: [cap()] })).volume!;
    assert.ok(!config().includes('evil') && !config().includes('Export_Id = 999'), 'the name never reaches the config');
    for (const squash of ['no_root_squash; Access_Type = RW', 'No_Root_Squash }', 'x\ny']) {
      await expectCode(c().controller('CreateVolume', { name: 'p', volumeCapabilities: [cap()], parameters: { squash } }), status.INVALID_ARGUMENT);
    }
    await expectCode(c().controller('CreateVolume', { name: 'p', volumeCapabilities: [cap()], parameters: { 'Path = /': 'x' } }), status.INVALID_ARGUMENT);
    for (const nodeId of ['127.0.0.1; Access_Type = RW', '*', '0.0.0.0/0', '127.0.0.1 }', 'node-b\n']) {
      await expectCode(c().controller('ControllerPublishVolume', { volumeId: v.volumeId, nodeId, volumeCapability: cap() }), status.NOT_FOUND);
    }
    for (const id of ['../../etc', 'nfsvol-../../x', '/etc/passwd', 'nfsvol-0000000000000000/..', '..']) {
      await expectCode(c().controller('ControllerPublishVolume', { volumeId: id, nodeId: '127.0.0.1', volumeCapability: cap() }), status.NOT_FOUND);
      await expectCode(c().controller('CreateSnapshot', { name: 'evil', sourceVolumeId: id }), status.NOT_FOUND);
      await expectCode(c().controller('ControllerExpandVolume', { volumeId: id, capacityRange: { requiredBytes: String(MiB) } }), status.NOT_FOUND);
      await expectCode(c().node('NodePublishVolume', { volumeId: id, targetPath: join(dir, 'evil'), volumeCapability: cap() }), status.NOT_FOUND);
      await expectCode(c().node('NodeUnpublishVolume', { volumeId: id, targetPath: join(dir, 'evil') }), status.NOT_FOUND);
    }
    const badContexts: Record<string, string>[] = [
      { server: '127.0.0.1 -o exec', share: share(v) },
      { server: '127.0.0.1', share: '/x/../../etc' },
      { server: '127.0.0.1', share: 'rel' },
      {},
    ];
    for (const volumeContext of badContexts) {
      await expectCode(
        c().node('NodePublishVolume', { volumeId: v.volumeId, targetPath: join(dir, 'evil'), volumeCapability: cap(), volumeContext }),
        status.INVALID_ARGUMENT,
      );
    }
    assert.equal(existsSync(join(dir, 'evil')), false);
    assert.deepEqual(
      config()
        .match(/Path = .*/g)!
        .filter((l) => !l.includes(`${root}/exports/nfsvol-`)),
      [],
      'every Path is a volume export',
    );
    await c().controller('DeleteVolume', { volumeId: v.volumeId });
  });

  it(`mounts the export with the kernel NFS client on NodePublishVolume${KERNEL_NFS ? '' : ' — SKIPPED: this kernel has no NFS client (/proc/filesystems lists no nfs)'}`, async function () {
    if (!KERNEL_NFS) {
      this.skip();
      return;
    }
    const v = await create('kernel');
    await c().controller('ControllerPublishVolume', { volumeId: v.volumeId, nodeId: '127.0.0.1', volumeCapability: cap() });
    const target = join(dir, 'targets', 'kernel');
    const pub = {
      volumeId: v.volumeId,
      targetPath: target,
      volumeCapability: cap('MULTI_NODE_MULTI_WRITER', ['vers=3', 'port=2049', 'mountport=20048', 'nolock']),
      volumeContext: v.volumeContext,
    };
    await c().node('NodePublishVolume', pub);
    await c().node('NodePublishVolume', pub); // repeat: no-op
    assert.ok(isMountPoint(target));
    writeFileSync(join(target, 'k'), 'kernel');
    assert.equal(sha(nfsCat(`${share(v)}/k`).stdout), sha(Buffer.from('kernel')));
    const stats = await c().node('NodeGetVolumeStats', { volumeId: v.volumeId, volumePath: target });
    assert.ok(stats.usage.some((u) => u.unit === 'BYTES'));
    await c().node('NodeUnpublishVolume', { volumeId: v.volumeId, targetPath: target });
    assert.equal(existsSync(target), false);
    await c().controller('ControllerUnpublishVolume', { volumeId: v.volumeId, nodeId: '127.0.0.1' });
    await c().controller('DeleteVolume', { volumeId: v.volumeId });
  });

  it('keeps volumes, exports and grants across a restart', async () => {
    const v = await create('survivor');
    await c().controller('ControllerPublishVolume', { volumeId: v.volumeId, nodeId: '127.0.0.1', volumeCapability: cap() });
    const f = localFile('survivor', 64 * 1024);
    assert.ok(nfsPut(f.path, `${share(v)}/keep`).ok);
    assert.equal(await plugin!.stop(), 0, 'SIGTERM is a clean exit');
    assert.equal(sha(nfsCat(`${share(v)}/keep`).stdout), f.hash, 'the export is served while the plugin is down');
    plugin = await startPlugin(args, join(dir, 'csi.sock'));
    const got = await c().controller('ControllerGetVolume', { volumeId: v.volumeId });
    assert.deepEqual(got.status?.publishedNodeIds, ['127.0.0.1']);
    assert.equal(sha(nfsCat(`${share(v)}/keep`).stdout), f.hash);
    await c().controller('ControllerUnpublishVolume', { volumeId: v.volumeId, nodeId: '127.0.0.1' });
    await c().controller('DeleteVolume', { volumeId: v.volumeId });
  });

  it('resolves a CreateVolume interrupted by a crash: no orphan subvolume or export, and the retry succeeds', async () => {
    for (const point of ['nfs.create-volume.after-subvolume', 'nfs.create-volume.before-export']) {
      await plugin!.stop();
      const crashing = await startPlugin(args, join(dir, 'csi.sock'), { BERTH_FAILPOINTS: point });
      await assert.rejects(crashing.client.controller('CreateVolume', { name: 'crashy', volumeCapabilities: [cap()] }, { timeoutMs: 10_000 }));
      await crashing.exited;
      const state = JSON.parse(readFileSync(join(dir, 'state', 'state.json'), 'utf8')) as { volumes: { name: string; status: string; id: string }[] };
      const half = state.volumes.find((x) => x.name === 'crashy')!;
      assert.ok(half, `${point}: the crash left an intent record`);
      assert.ok(existsSync(join(root, 'volumes', half.id)), `${point}: and a half-made subvolume`);
      plugin = await startPlugin(args, join(dir, 'csi.sock'));
      const listed = (await c().controller('ListVolumes', {})).entries.map((e) => e.volume!.volumeId);
      if (half.status === 'creating') {
        assert.equal(existsSync(join(root, 'volumes', half.id)), false, `${point}: restart removed the half-made subvolume`);
        assert.ok(!listed.includes(half.id));
        assert.ok(!config().includes(half.id));
      } else {
        // Recorded ready before the crash: restart finishes the job by exporting it.
        assert.ok(listed.includes(half.id));
        assert.ok(config().includes(half.id), `${point}: restart exported the finished volume`);
      }
      const retry = (await c().controller('CreateVolume', { name: 'crashy', volumeCapabilities: [cap()] })).volume!;
      if (half.status !== 'creating') assert.equal(retry.volumeId, half.id);
      await c().controller('DeleteVolume', { volumeId: retry.volumeId });
    }
  });
});
