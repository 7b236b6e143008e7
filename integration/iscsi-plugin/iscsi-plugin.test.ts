import { status } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupUnder } from '../harness/cleanup';
import { expectCode } from '../harness/expect-code';
import { ddWrite, sha256File, sha256Head, tempDir } from '../harness/fs-helpers';
import { PluginProcess, startPlugin } from '../harness/plugin-process';
import { isMountPoint } from '../../lib/mounts/mounts';
import type { AccessMode, VolumeCapability } from '../../proto/csi/types';
import { detachAllUnder, startTgtd, stopTgtd, targetNames, TgtdProcess, tgtadm } from './tgtd';

const MiB = 1024 * 1024;
const PREFIX = 'iqn.2025-01.io.berth';
const mountCap = (fsType = '', mode: AccessMode = 'SINGLE_NODE_WRITER'): VolumeCapability => ({ mount: { fsType, mountFlags: [] }, accessMode: { mode } });
const blockCap = (mode: AccessMode = 'SINGLE_NODE_WRITER'): VolumeCapability => ({ block: {}, accessMode: { mode } });

describe('iSCSI CSI plugin on a real tgtd, user-space initiator', function () {
  this.timeout(300_000);
  let dir: string;
  let tgtd: TgtdProcess | undefined;
  let nodeA: PluginProcess | undefined; // controller + node "node-a"
  let nodeB: PluginProcess | undefined; // node service only, "node-b"
  let argsA: string[];
  let argsB: string[];

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    dir = tempDir('iscsi');
    // Pool "fast": xfs on a loop image, so snapshots and clones are reflinks. Pool "plain": ext4, full copies.
    const image = join(dir, 'pool.img');
    execFileSync('truncate', ['-s', '1G', image]);
    execFileSync('mkfs.xfs', ['-q', image]);
    mkdirSync(join(dir, 'pool-xfs'));
    execFileSync('mount', ['-o', 'loop', image, join(dir, 'pool-xfs')]);
    mkdirSync(join(dir, 'pool-plain'));
    tgtd = await startTgtd();
    argsA = [
      'iscsi',
      '--node-id',
      'node-a',
      '--pool',
      `fast=${dir}/pool-xfs`,
      '--pool',
      `plain=${dir}/pool-plain`,
      '--state-dir',
      join(dir, 'state-a'),
      '--node-initiator',
      `node-b=${PREFIX}:node.node-b`,
      '--default-volume-size',
      '16Mi',
      '--reconcile-interval',
      '0',
      '--attach',
      'userspace',
    ];
    argsB = ['iscsi', '--node-id', 'node-b', '--mode', 'node', '--state-dir', join(dir, 'state-b'), '--attach', 'userspace'];
    nodeA = await startPlugin(argsA, join(dir, 'a.sock'));
    nodeB = await startPlugin(argsB, join(dir, 'b.sock'));
  });

  after(async () => {
    if (!dir) return;
    try {
      await nodeA?.stop();
      await nodeB?.stop();
    } finally {
      detachAllUnder(dir);
      await stopTgtd(tgtd);
      cleanupUnder(dir);
    }
  });

  const a = () => nodeA!.client;
  const b = () => nodeB!.client;

  type Client = ReturnType<typeof a>;
  async function stage(client: Client, volumeId: string, cap: VolumeCapability, name: string, publishContext: Record<string, string>, readonly = false) {
    const staging = join(dir, 'staging', name);
    const target = join(dir, 'targets', name);
    await client.node('NodeStageVolume', { volumeId, stagingTargetPath: staging, volumeCapability: cap, publishContext });
    await client.node('NodePublishVolume', { volumeId, stagingTargetPath: staging, targetPath: target, volumeCapability: cap, readonly, publishContext });
    return { staging, target };
  }
  async function unstage(client: Client, volumeId: string, p: { staging: string; target: string }) {
    await client.node('NodeUnpublishVolume', { volumeId, targetPath: p.target });
    await client.node('NodeUnstageVolume', { volumeId, stagingTargetPath: p.staging });
  }
  async function publish(volumeId: string, nodeId: string, cap: VolumeCapability, readonly = false): Promise<Record<string, string>> {
    return (await a().controller('ControllerPublishVolume', { volumeId, nodeId, volumeCapability: cap, readonly })).publishContext;
  }
  async function create(name: string, cap: VolumeCapability, bytes = 16 * MiB, extra: Record<string, unknown> = {}) {
    return (await a().controller('CreateVolume', { name, capacityRange: { requiredBytes: String(bytes) }, volumeCapabilities: [cap], ...extra })).volume!;
  }
  /** Stages on node-a, runs `fn` on the published path, cleans up node and controller publication. */
  async function withVolumeOnA<T>(
    volumeId: string,
    cap: VolumeCapability,
    name: string,
    fn: (p: { staging: string; target: string }) => Promise<T> | T,
  ): Promise<T> {
    const ctx = await publish(volumeId, 'node-a', cap);
    const p = await stage(a(), volumeId, cap, name, ctx);
    try {
      return await fn(p);
    } finally {
      await unstage(a(), volumeId, p);
      await a().controller('ControllerUnpublishVolume', { volumeId, nodeId: 'node-a' });
    }
  }

  it('identifies itself: controller with publish/unpublish, offline expansion, no topology', async () => {
    assert.equal(statSync(nodeA!.socket).mode & 0o777, 0o600);
    assert.equal((await a().identity('GetPluginInfo', {})).name, 'berth.iscsi');
    const caps = (await a().identity('GetPluginCapabilities', {})).capabilities;
    assert.deepEqual(caps.map((c) => c.service?.type).filter(Boolean), ['CONTROLLER_SERVICE']);
    assert.ok(caps.some((c) => c.volumeExpansion?.type === 'OFFLINE'));
    const ctrl = (await a().controller('ControllerGetCapabilities', {})).capabilities.map((c) => c.rpc?.type);
    for (const want of ['PUBLISH_UNPUBLISH_VOLUME', 'CREATE_DELETE_SNAPSHOT', 'CLONE_VOLUME', 'EXPAND_VOLUME', 'GET_CAPACITY'])
      assert.ok(ctrl.includes(want as never), want);
    assert.equal((await a().identity('Probe', {})).ready?.value, true);
    assert.equal((await b().node('NodeGetInfo', {})).nodeId, 'node-b');
    assert.deepEqual((await b().identity('GetPluginCapabilities', {})).capabilities.map((c) => c.service?.type).filter(Boolean), []);
  });

  it('writes a filesystem on node-a, and node-b reads the same data only once the volume is published to it', async () => {
    const v = await create('shared', mountCap(), 16 * MiB, { parameters: { pool: 'fast', fsType: 'ext4' } });
    assert.equal(v.volumeContext.targetIqn, `${PREFIX}:${v.volumeId}`);
    assert.ok(targetNames().includes(`${PREFIX}:${v.volumeId}`), 'CreateVolume made the target');
    const ctxA = await publish(v.volumeId, 'node-a', mountCap());
    assert.deepEqual(await publish(v.volumeId, 'node-a', mountCap()), ctxA, 'publish repeated: same context');
    const pa = await stage(a(), v.volumeId, mountCap(), 'shared-a', ctxA);
    assert.ok(isMountPoint(pa.staging) && isMountPoint(pa.target));
    assert.equal(execFileSync('findmnt', ['-n', '-o', 'FSTYPE', pa.staging], { encoding: 'utf8' }).trim(), 'ext4');
    assert.ok(ddWrite(join(pa.target, 'data'), 4).ok);
    writeFileSync(join(pa.target, 'hello'), 'from node-a');
    const want = sha256File(join(pa.target, 'data'));
    // Stage again at the same path: a no-op; at another path: refused.
    await a().node('NodeStageVolume', { volumeId: v.volumeId, stagingTargetPath: pa.staging, volumeCapability: mountCap(), publishContext: ctxA });
    const stats = await a().node('NodeGetVolumeStats', { volumeId: v.volumeId, volumePath: pa.target });
    assert.ok(Number(stats.usage.find((u) => u.unit === 'BYTES')!.used) >= 4 * MiB);
    assert.equal(stats.volumeCondition?.abnormal, false);
    await expectCode(a().node('NodeUnstageVolume', { volumeId: v.volumeId, stagingTargetPath: pa.staging }), status.FAILED_PRECONDITION);
    await expectCode(a().controller('DeleteVolume', { volumeId: v.volumeId }), status.FAILED_PRECONDITION);
    await expectCode(publish(v.volumeId, 'node-b', mountCap()), status.FAILED_PRECONDITION);
    await unstage(a(), v.volumeId, pa);
    assert.equal(existsSync(join(dir, 'state-a', 'attach', v.volumeId)), false, 'unstage removed the FUSE attach dir');

    // node-b is not admitted yet: its initiator is refused by the target's ACL.
    await expectCode(
      b().node('NodeStageVolume', {
        volumeId: v.volumeId,
        stagingTargetPath: join(dir, 'staging', 'shared-b'),
        volumeCapability: mountCap(),
        publishContext: ctxA,
      }),
      status.FAILED_PRECONDITION,
    );
    await a().controller('ControllerUnpublishVolume', { volumeId: v.volumeId, nodeId: 'node-a' });
    await a().controller('ControllerUnpublishVolume', { volumeId: v.volumeId, nodeId: 'node-a' }); // repeat: success
    const ctxB = await publish(v.volumeId, 'node-b', mountCap());
    const pb = await stage(b(), v.volumeId, mountCap(), 'shared-b', ctxB);
    assert.equal(sha256File(join(pb.target, 'data')), want, 'node-b reads what node-a wrote');
    assert.equal(readFileSync(join(pb.target, 'hello'), 'utf8'), 'from node-a');
    // node-a is no longer admitted.
    await expectCode(
      a().node('NodeStageVolume', {
        volumeId: v.volumeId,
        stagingTargetPath: join(dir, 'staging', 'shared-a2'),
        volumeCapability: mountCap(),
        publishContext: ctxA,
      }),
      status.FAILED_PRECONDITION,
    );
    const listed = (await a().controller('ListVolumes', {})).entries.find((e) => e.volume?.volumeId === v.volumeId);
    assert.deepEqual(listed?.status?.publishedNodeIds, ['node-b']);
    await unstage(b(), v.volumeId, pb);
    await a().controller('ControllerUnpublishVolume', { volumeId: v.volumeId, nodeId: 'node-b' });
    await a().controller('DeleteVolume', { volumeId: v.volumeId });
    assert.ok(!targetNames().includes(`${PREFIX}:${v.volumeId}`), 'DeleteVolume removed the target');
    assert.equal(existsSync(join(dir, 'pool-xfs', 'volumes', `${v.volumeId}.img`)), false, 'and the backing file');
  });

  it('serves block volumes: write, read back after re-attach, read-only publication refuses writes', async () => {
    const v = await create('blk', blockCap());
    const ctx = await publish(v.volumeId, 'node-a', blockCap());
    const p = await stage(a(), v.volumeId, blockCap(), 'blk', ctx);
    assert.ok(statSync(p.target).isBlockDevice());
    assert.ok(ddWrite(p.target, 8, ['oflag=direct']).ok);
    const want = sha256Head(p.target, 8);
    const ro = join(dir, 'targets', 'blk-ro');
    await a().node('NodePublishVolume', { volumeId: v.volumeId, stagingTargetPath: p.staging, targetPath: ro, volumeCapability: blockCap(), readonly: true });
    assert.equal(sha256Head(ro, 8), want);
    assert.equal(ddWrite(ro, 1, ['oflag=direct']).ok, false, 'read-only block publish refuses writes');
    await a().node('NodeUnpublishVolume', { volumeId: v.volumeId, targetPath: ro });
    const stats = await a().node('NodeGetVolumeStats', { volumeId: v.volumeId, volumePath: p.target });
    assert.equal(stats.usage[0].total, String(16 * MiB));
    await unstage(a(), v.volumeId, p);
    const p2 = await stage(a(), v.volumeId, blockCap(), 'blk2', ctx);
    assert.equal(sha256Head(p2.target, 8), want, 'data survives detach and re-attach');
    await unstage(a(), v.volumeId, p2);
    await a().controller('ControllerUnpublishVolume', { volumeId: v.volumeId, nodeId: 'node-a' });
    await a().controller('DeleteVolume', { volumeId: v.volumeId });
  });

  it('snapshots and clones by reflink (xfs pool) and by full copy (ext4 pool) with equal data', async () => {
    for (const pool of ['fast', 'plain']) {
      const v = await create(`src-${pool}`, mountCap(), 16 * MiB, { parameters: { pool } });
      const want = await withVolumeOnA(v.volumeId, mountCap(), `src-${pool}`, (p) => {
        assert.ok(ddWrite(join(p.target, 'data'), 4).ok);
        return sha256File(join(p.target, 'data'));
      });
      const snap = (await a().controller('CreateSnapshot', { name: `snap-${pool}`, sourceVolumeId: v.volumeId })).snapshot!;
      assert.equal(snap.readyToUse, true);
      assert.equal((await a().controller('CreateSnapshot', { name: `snap-${pool}`, sourceVolumeId: v.volumeId })).snapshot?.snapshotId, snap.snapshotId);
      await withVolumeOnA(v.volumeId, mountCap(), `src-${pool}`, (p) => writeFileSync(join(p.target, 'data'), 'changed after the snapshot'));
      const restored = await create(`restored-${pool}`, mountCap(), 16 * MiB, { volumeContentSource: { snapshot: { snapshotId: snap.snapshotId } } });
      assert.equal(restored.contentSource?.snapshot?.snapshotId, snap.snapshotId);
      await withVolumeOnA(restored.volumeId, mountCap(), `restored-${pool}`, (p) => assert.equal(sha256File(join(p.target, 'data')), want));
      const clone = await create(`clone-${pool}`, mountCap(), 24 * MiB, { volumeContentSource: { volume: { volumeId: v.volumeId } } });
      await withVolumeOnA(clone.volumeId, mountCap(), `clone-${pool}`, (p) =>
        assert.equal(readFileSync(join(p.target, 'data'), 'utf8'), 'changed after the snapshot'),
      );
      await expectCode(
        create(`small-${pool}`, mountCap(), 8 * MiB, { volumeContentSource: { snapshot: { snapshotId: snap.snapshotId } } }),
        status.OUT_OF_RANGE,
      );
      assert.equal((await a().controller('ListSnapshots', { sourceVolumeId: v.volumeId })).entries.length, 1);
      for (const id of [v.volumeId, restored.volumeId, clone.volumeId]) await a().controller('DeleteVolume', { volumeId: id });
      await a().controller('DeleteSnapshot', { snapshotId: snap.snapshotId });
      await a().controller('DeleteSnapshot', { snapshotId: snap.snapshotId });
      await expectCode(a().controller('GetSnapshot', { snapshotId: snap.snapshotId }), status.NOT_FOUND);
    }
    const log = nodeA!.log();
    assert.match(log, /pool supports reflink/);
    assert.match(log, /no reflink support: snapshots and clones are FULL copies/);
  });

  it('expands offline: refused while published, then ext4 and xfs come back at the new size with their data', async () => {
    for (const [fsType, from, to] of [
      ['ext4', 16 * MiB, 32 * MiB],
      ['xfs', 16 * MiB, 400 * MiB],
    ] as const) {
      const v = await create(`grow-${fsType}`, mountCap(fsType), from);
      if (fsType === 'xfs') assert.equal(v.capacityBytes, String(300 * MiB), 'xfs volumes are at least 300 MiB (mkfs.xfs minimum)');
      const ctx = await publish(v.volumeId, 'node-a', mountCap(fsType));
      const p = await stage(a(), v.volumeId, mountCap(fsType), `grow-${fsType}`, ctx);
      writeFileSync(join(p.target, 'keep'), fsType);
      const before = statfsSync(p.target).blocks * statfsSync(p.target).bsize;
      await expectCode(
        a().controller('ControllerExpandVolume', { volumeId: v.volumeId, capacityRange: { requiredBytes: String(to) } }),
        status.FAILED_PRECONDITION,
      );
      await unstage(a(), v.volumeId, p);
      await a().controller('ControllerUnpublishVolume', { volumeId: v.volumeId, nodeId: 'node-a' });
      const res = await a().controller('ControllerExpandVolume', { volumeId: v.volumeId, capacityRange: { requiredBytes: String(to) } });
      assert.equal(res.capacityBytes, String(to));
      assert.equal(res.nodeExpansionRequired, true);
      const ctx2 = await publish(v.volumeId, 'node-a', mountCap(fsType));
      const p2 = await stage(a(), v.volumeId, mountCap(fsType), `grow-${fsType}`, ctx2);
      const grown = await a().node('NodeExpandVolume', { volumeId: v.volumeId, volumePath: p2.target, capacityRange: { requiredBytes: String(to) } });
      assert.equal(grown.capacityBytes, String(to));
      const after = statfsSync(p2.target).blocks * statfsSync(p2.target).bsize;
      assert.ok(after > before + (to - Number(v.capacityBytes)) / 2, `${fsType}: filesystem grew (${before} → ${after})`);
      assert.equal(readFileSync(join(p2.target, 'keep'), 'utf8'), fsType);
      await unstage(a(), v.volumeId, p2);
      await a().controller('ControllerUnpublishVolume', { volumeId: v.volumeId, nodeId: 'node-a' });
      await a().controller('DeleteVolume', { volumeId: v.volumeId });
    }
  });

  it('answers with the codes the CSI spec demands, idempotently', async () => {
    const req = { name: 'idem', capacityRange: { requiredBytes: String(8 * MiB) }, volumeCapabilities: [mountCap()] };
    const v1 = (await a().controller('CreateVolume', req)).volume!;
    assert.equal((await a().controller('CreateVolume', req)).volume!.volumeId, v1.volumeId);
    await expectCode(a().controller('CreateVolume', { ...req, capacityRange: { requiredBytes: String(12 * MiB) } }), status.ALREADY_EXISTS);
    await expectCode(a().controller('CreateVolume', { ...req, volumeCapabilities: [blockCap()] }), status.ALREADY_EXISTS);
    await expectCode(a().controller('CreateVolume', { name: '', volumeCapabilities: [mountCap()] }), status.INVALID_ARGUMENT);
    await expectCode(a().controller('CreateVolume', { name: 'x', volumeCapabilities: [] }), status.INVALID_ARGUMENT);
    await expectCode(a().controller('CreateVolume', { name: 'x', volumeCapabilities: [mountCap('', 'MULTI_NODE_MULTI_WRITER')] }), status.INVALID_ARGUMENT);
    await expectCode(a().controller('CreateVolume', { name: 'x', volumeCapabilities: [mountCap('btrfs')] }), status.INVALID_ARGUMENT);
    await expectCode(
      a().controller('CreateVolume', { name: 'x', volumeCapabilities: [mountCap()], capacityRange: { requiredBytes: String(100 * 1024 * MiB) } }),
      status.RESOURCE_EXHAUSTED,
    );
    await expectCode(
      a().controller('CreateVolume', { name: 'x', volumeCapabilities: [mountCap()], capacityRange: { requiredBytes: '200', limitBytes: '100' } }),
      status.OUT_OF_RANGE,
    );
    await expectCode(
      a().controller('CreateVolume', {
        name: 'x',
        volumeCapabilities: [mountCap()],
        volumeContentSource: { snapshot: { snapshotId: 'snap-0000000000000000' } },
      }),
      status.NOT_FOUND,
    );
    const ctx = await publish(v1.volumeId, 'node-a', mountCap());
    await expectCode(publish(v1.volumeId, 'node-a', mountCap(), true), status.ALREADY_EXISTS);
    await expectCode(publish(v1.volumeId, 'node-zz', mountCap()), status.NOT_FOUND);
    await expectCode(publish('vol-0000000000000000', 'node-a', mountCap()), status.NOT_FOUND);
    await expectCode(a().controller('ControllerPublishVolume', { volumeId: v1.volumeId, nodeId: 'node-a' }), status.INVALID_ARGUMENT);
    await expectCode(a().controller('ControllerPublishVolume', { volumeId: v1.volumeId, volumeCapability: mountCap() }), status.INVALID_ARGUMENT);
    await expectCode(
      a().node('NodePublishVolume', {
        volumeId: v1.volumeId,
        stagingTargetPath: join(dir, 'staging', 'idem'),
        targetPath: join(dir, 'targets', 'idem'),
        volumeCapability: mountCap(),
        publishContext: ctx,
      }),
      status.FAILED_PRECONDITION,
    );
    await a().controller('ControllerUnpublishVolume', { volumeId: v1.volumeId, nodeId: 'node-a' });
    await a().controller('ControllerUnpublishVolume', { volumeId: 'vol-0000000000000000', nodeId: 'node-a' });
    await expectCode(
      a().controller('ControllerExpandVolume', { volumeId: 'vol-0000000000000000', capacityRange: { requiredBytes: String(MiB) } }),
      status.NOT_FOUND,
    );
    await expectCode(a().controller('ControllerExpandVolume', { volumeId: v1.volumeId }), status.INVALID_ARGUMENT);
    await a().node('NodeUnstageVolume', { volumeId: v1.volumeId, stagingTargetPath: join(dir, 'staging', 'never') });
    await a().node('NodeUnpublishVolume', { volumeId: v1.volumeId, targetPath: join(dir, 'targets', 'never') });
    // A volume that does not exist is NOT_FOUND, as for every plugin (it answered OK before the SDK shared NodeUnpublish).
    await expectCode(a().node('NodeUnpublishVolume', { volumeId: 'vol-0000000000000000', targetPath: join(dir, 'targets', 'never') }), status.NOT_FOUND);
    await expectCode(a().node('NodeGetVolumeStats', { volumeId: v1.volumeId, volumePath: join(dir, 'targets', 'never') }), status.NOT_FOUND);
    await a().controller('DeleteVolume', { volumeId: v1.volumeId });
    await a().controller('DeleteVolume', { volumeId: v1.volumeId });
    await expectCode(a().controller('ListVolumes', { startingToken: 'garbage' }), status.ABORTED);
  });

  it('keeps hostile ids, names, parameters and contexts away from tgtadm, qemu and paths', async () => {
    const before = targetNames();
    for (const id of ['../../etc', 'vol-../../x', '/etc/passwd', '--tid=1', 'vol-0000000000000000,file.driver=file', '..']) {
      await expectCode(a().controller('ValidateVolumeCapabilities', { volumeId: id, volumeCapabilities: [mountCap()] }), status.NOT_FOUND);
      await expectCode(a().controller('CreateSnapshot', { name: 'evil', sourceVolumeId: id }), status.NOT_FOUND);
      await expectCode(publish(id, 'node-a', mountCap()), status.NOT_FOUND);
      await expectCode(a().node('NodeStageVolume', { volumeId: id, stagingTargetPath: join(dir, 'evil'), volumeCapability: mountCap() }), status.NOT_FOUND);
    }
    const hostile: Record<string, string>[] = [{ pool: '../../etc' }, { pool: 'fast,path=/etc/shadow' }, { fsType: 'ext4 -O quota' }, { '--op': 'delete' }];
    for (const parameters of hostile) {
      await expectCode(a().controller('CreateVolume', { name: 'evil', volumeCapabilities: [mountCap()], parameters }), status.INVALID_ARGUMENT);
    }
    await expectCode(
      a().controller('CreateVolume', {
        name: 'evil',
        volumeCapabilities: [{ mount: { fsType: '', mountFlags: ['rw,exec'] }, accessMode: { mode: 'SINGLE_NODE_WRITER' } }],
      }),
      status.INVALID_ARGUMENT,
    );
    // A hostile name is only a name: the target is named after the minted id.
    const named = await create('x --op delete --force --tid 1; rm -rf /', mountCap(), 8 * MiB);
    assert.ok(targetNames().includes(`${PREFIX}:${named.volumeId}`));
    const ctx = await publish(named.volumeId, 'node-a', mountCap());
    for (const publishContext of [
      { ...ctx, targetIqn: `${ctx.targetIqn},file.driver=file,file.filename=/etc/shadow` },
      { ...ctx, targetIqn: `${PREFIX}:vol-0000000000000000` },
      { ...ctx, portal: '127.0.0.1:3260,file.filename=/etc/passwd' },
      { ...ctx, portal: '-oProxyCommand=x:1' },
      { ...ctx, lun: '1,driver=file' },
    ]) {
      await expectCode(
        a().node('NodeStageVolume', { volumeId: named.volumeId, stagingTargetPath: join(dir, 'evil'), volumeCapability: mountCap(), publishContext }),
        status.INVALID_ARGUMENT,
      );
    }
    await expectCode(
      a().node('NodeStageVolume', { volumeId: named.volumeId, stagingTargetPath: 'relative/path', volumeCapability: mountCap(), publishContext: ctx }),
      status.INVALID_ARGUMENT,
    );
    assert.equal(existsSync(join(dir, 'evil')), false);
    await a().controller('ControllerUnpublishVolume', { volumeId: named.volumeId, nodeId: 'node-a' });
    await a().controller('DeleteVolume', { volumeId: named.volumeId });
    assert.deepEqual(targetNames(), before);
    for (const n of targetNames()) assert.match(n, /^iqn\.2025-01\.io\.berth:vol-[0-9a-f]{16}$/);
  });

  it('re-creates targets, LUNs and bindings after both the plugin and tgtd restart; data stays readable', async () => {
    const v = await create('survivor', mountCap(), 16 * MiB);
    const want = await withVolumeOnA(v.volumeId, mountCap(), 'survivor', (p) => {
      assert.ok(ddWrite(join(p.target, 'data'), 4).ok);
      return sha256File(join(p.target, 'data'));
    });
    const ctx = await publish(v.volumeId, 'node-a', mountCap());
    const tidBefore = /Target (\d+): \S+/.exec(
      tgtadm(['--mode', 'target', '--op', 'show'])
        .out.split('\n')
        .find((l) => l.includes(v.volumeId))!,
    )![1];
    assert.equal(await nodeA!.stop(), 0);
    await stopTgtd(tgtd);
    tgtd = await startTgtd();
    assert.deepEqual(targetNames(), [], 'a restarted tgtd is empty');
    nodeA = await startPlugin(argsA, join(dir, 'a.sock'));
    const show = tgtadm(['--mode', 'target', '--op', 'show']).out;
    assert.match(show, new RegExp(`Target ${tidBefore}: ${PREFIX}:${v.volumeId}`), 'same target id and name');
    assert.match(show, new RegExp(`${PREFIX}:node\\.node-a`), 'the publication to node-a is bound again');
    const p = await stage(a(), v.volumeId, mountCap(), 'survivor2', ctx);
    assert.equal(sha256File(join(p.target, 'data')), want);
    await unstage(a(), v.volumeId, p);
    await a().controller('ControllerUnpublishVolume', { volumeId: v.volumeId, nodeId: 'node-a' });
    await a().controller('DeleteVolume', { volumeId: v.volumeId });
  });

  it('keeps a staged volume across a node plugin restart', async () => {
    const v = await create('staged-restart', mountCap(), 16 * MiB);
    const ctx = await publish(v.volumeId, 'node-b', mountCap());
    const p = await stage(b(), v.volumeId, mountCap(), 'staged-restart', ctx);
    writeFileSync(join(p.target, 'still'), 'here');
    assert.equal(await nodeB!.stop(), 0);
    assert.equal(readFileSync(join(p.target, 'still'), 'utf8'), 'here', 'the attachment outlives the plugin');
    nodeB = await startPlugin(argsB, join(dir, 'b.sock'));
    await b().node('NodeStageVolume', { volumeId: v.volumeId, stagingTargetPath: p.staging, volumeCapability: mountCap(), publishContext: ctx });
    const stats = await b().node('NodeGetVolumeStats', { volumeId: v.volumeId, volumePath: p.target });
    assert.equal(stats.volumeCondition?.abnormal, false);
    await unstage(b(), v.volumeId, p);
    await a().controller('ControllerUnpublishVolume', { volumeId: v.volumeId, nodeId: 'node-b' });
    await a().controller('DeleteVolume', { volumeId: v.volumeId });
  });

  it('resolves a CreateVolume interrupted by a crash: no stray target or file, and the retry succeeds', async () => {
    await nodeA!.stop();
    const crashing = await startPlugin(argsA, join(dir, 'a.sock'), { BERTH_FAILPOINTS: 'iscsi.create-volume.after-target' });
    await assert.rejects(crashing.client.controller('CreateVolume', { name: 'crashy', volumeCapabilities: [mountCap()] }, { timeoutMs: 20_000 }));
    await crashing.exited;
    const state = JSON.parse(readFileSync(join(dir, 'state-a', 'controller.json'), 'utf8')) as { volumes: { name: string; status: string; id: string }[] };
    const half = state.volumes.find((x) => x.name === 'crashy')!;
    assert.equal(half.status, 'creating', 'the crash left an intent record');
    assert.ok(targetNames().includes(`${PREFIX}:${half.id}`), 'and a target');
    nodeA = await startPlugin(argsA, join(dir, 'a.sock'));
    assert.ok(!targetNames().includes(`${PREFIX}:${half.id}`), 'restart removed the half-made target');
    assert.equal(existsSync(join(dir, 'pool-xfs', 'volumes', `${half.id}.img`)), false, 'and its backing file');
    const retry = (await a().controller('CreateVolume', { name: 'crashy', volumeCapabilities: [mountCap()] })).volume!;
    await a().controller('DeleteVolume', { volumeId: retry.volumeId });
  });
});
