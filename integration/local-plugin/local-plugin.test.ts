import { status } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupUnder } from '../harness/cleanup';
import { expectCode } from '../harness/expect-code';
import { ddWrite, sha256File, sha256Head, tempDir } from '../harness/fs-helpers';
import { PluginProcess, startPlugin } from '../harness/plugin-process';
import { isMountPoint } from '../../lib/mounts/mounts';
import type { AccessMode, VolumeCapability } from '../../proto/csi/types';

const MiB = 1024 * 1024;
const mountCap = (mode: AccessMode = 'SINGLE_NODE_WRITER'): VolumeCapability => ({ mount: { fsType: '', mountFlags: [] }, accessMode: { mode } });
const blockCap = (mode: AccessMode = 'SINGLE_NODE_WRITER'): VolumeCapability => ({ block: {}, accessMode: { mode } });

describe('local CSI plugin on a real btrfs pool', function () {
  this.timeout(180_000);
  let dir: string;
  let plugin: PluginProcess;
  let args: string[];

  before(async () => {
    dir = tempDir('local');
    args = [
      'local',
      '--node-id',
      'node-a',
      '--pool',
      `fast=file:${dir}/fast.img:1G`,
      '--pool',
      `slow=file:${dir}/slow.img:512M`,
      '--state-dir',
      join(dir, 'state'),
      '--default-volume-size',
      '64Mi',
    ];
    plugin = await startPlugin(args, join(dir, 'csi.sock'));
  });

  after(async () => {
    if (plugin) await plugin.stop();
    cleanupUnder(dir);
  });

  const c = () => plugin.client;

  async function stageAndPublish(volumeId: string, cap: VolumeCapability, name: string, readonly = false) {
    const staging = join(dir, 'staging', name);
    const target = join(dir, 'targets', name);
    await c().node('NodeStageVolume', { volumeId, stagingTargetPath: staging, volumeCapability: cap });
    await c().node('NodePublishVolume', { volumeId, stagingTargetPath: staging, targetPath: target, volumeCapability: cap, readonly });
    return { staging, target };
  }

  async function unpublishAndUnstage(volumeId: string, p: { staging: string; target: string }) {
    await c().node('NodeUnpublishVolume', { volumeId, targetPath: p.target });
    await c().node('NodeUnstageVolume', { volumeId, stagingTargetPath: p.staging });
  }

  it('serves on a 0600 socket and identifies itself with its capabilities', async () => {
    assert.equal(statSync(plugin.socket).mode & 0o777, 0o600);
    const info = await c().identity('GetPluginInfo', {});
    assert.equal(info.name, 'berth.local');
    const caps = await c().identity('GetPluginCapabilities', {});
    const services = caps.capabilities.map((x) => x.service?.type).filter(Boolean);
    assert.deepEqual(services.sort(), ['CONTROLLER_SERVICE', 'VOLUME_ACCESSIBILITY_CONSTRAINTS']);
    assert.ok(caps.capabilities.some((x) => x.volumeExpansion?.type === 'ONLINE'));
    assert.equal((await c().identity('Probe', {})).ready?.value, true);
    const nodeInfo = await c().node('NodeGetInfo', {});
    assert.equal(nodeInfo.nodeId, 'node-a');
    assert.deepEqual(nodeInfo.accessibleTopology?.segments, { 'berth.io/node': 'node-a' });
  });

  it('creates a volume idempotently by name and refuses an incompatible repeat', async () => {
    const req = { name: 'idem', capacityRange: { requiredBytes: String(32 * MiB) }, volumeCapabilities: [mountCap()], parameters: { pool: 'fast' } };
    const a = await c().controller('CreateVolume', req);
    const b = await c().controller('CreateVolume', req);
    assert.equal(a.volume?.volumeId, b.volume?.volumeId);
    assert.equal(a.volume?.capacityBytes, String(32 * MiB));
    assert.deepEqual(a.volume?.accessibleTopology?.[0]?.segments, { 'berth.io/node': 'node-a' });
    await expectCode(c().controller('CreateVolume', { ...req, capacityRange: { requiredBytes: String(48 * MiB) } }), status.ALREADY_EXISTS);
    await c().controller('DeleteVolume', { volumeId: a.volume!.volumeId });
    await c().controller('DeleteVolume', { volumeId: a.volume!.volumeId }); // again: still success
  });

  it('rejects bad requests with precise codes and creates nothing', async () => {
    const before = (await c().controller('ListVolumes', {})).entries.length;
    await expectCode(c().controller('CreateVolume', { name: '', volumeCapabilities: [mountCap()] }), status.INVALID_ARGUMENT);
    await expectCode(c().controller('CreateVolume', { name: 'x', volumeCapabilities: [] }), status.INVALID_ARGUMENT);
    await expectCode(c().controller('CreateVolume', { name: 'x', volumeCapabilities: [mountCap('MULTI_NODE_MULTI_WRITER')] }), status.INVALID_ARGUMENT);
    await expectCode(c().controller('CreateVolume', { name: 'x', volumeCapabilities: [mountCap()], parameters: { pool: 'nope' } }), status.INVALID_ARGUMENT);
    await expectCode(c().controller('CreateVolume', { name: 'x', volumeCapabilities: [mountCap()], parameters: { colour: 'red' } }), status.INVALID_ARGUMENT);
    await expectCode(
      c().controller('CreateVolume', { name: 'x', volumeCapabilities: [mountCap()], capacityRange: { requiredBytes: String(10 * 1024 * MiB) } }),
      status.RESOURCE_EXHAUSTED,
    );
    await expectCode(
      c().controller('CreateVolume', { name: 'x', volumeCapabilities: [mountCap()], capacityRange: { requiredBytes: '200', limitBytes: '100' } }),
      status.OUT_OF_RANGE,
    );
    await expectCode(
      c().controller('CreateVolume', {
        name: 'x',
        volumeCapabilities: [mountCap()],
        accessibilityRequirements: { requisite: [{ segments: { 'berth.io/node': 'node-b' } }] },
      }),
      status.RESOURCE_EXHAUSTED,
    );
    assert.equal((await c().controller('ListVolumes', {})).entries.length, before);
  });

  it('never turns a hostile id into a path', async () => {
    for (const id of ['../../etc', 'vol-../../x', '/etc/passwd', 'vol-0000000000000000/..', '..']) {
      await expectCode(c().controller('ValidateVolumeCapabilities', { volumeId: id, volumeCapabilities: [mountCap()] }), status.NOT_FOUND);
      await expectCode(c().node('NodeStageVolume', { volumeId: id, stagingTargetPath: join(dir, 'evil'), volumeCapability: mountCap() }), status.NOT_FOUND);
      await expectCode(c().controller('CreateSnapshot', { name: 'evil', sourceVolumeId: id }), status.NOT_FOUND);
      await expectCode(c().node('NodeUnpublishVolume', { volumeId: id, targetPath: join(dir, 'evil') }), status.NOT_FOUND);
    }
    assert.equal(existsSync(join(dir, 'evil')), false);
  });

  it('enforces capacity in a published mount volume and reports usage', async () => {
    const v = (await c().controller('CreateVolume', { name: 'quota', capacityRange: { requiredBytes: String(16 * MiB) }, volumeCapabilities: [mountCap()] }))
      .volume!;
    const p = await stageAndPublish(v.volumeId, mountCap(), 'quota');
    assert.ok(isMountPoint(p.target));
    assert.ok(ddWrite(join(p.target, 'small'), 8).ok, 'an 8 MiB write fits a 16 MiB volume');
    const big = ddWrite(join(p.target, 'big'), 32);
    assert.equal(big.ok, false, 'a 32 MiB write must fail in a 16 MiB volume');
    assert.match(big.stderr, /quota|No space/i);
    const stats = await c().node('NodeGetVolumeStats', { volumeId: v.volumeId, volumePath: p.target });
    const bytes = stats.usage.find((u) => u.unit === 'BYTES')!;
    assert.equal(bytes.total, String(16 * MiB));
    assert.ok(Number(bytes.used) >= 8 * MiB, `used ${bytes.used}`);
    await unpublishAndUnstage(v.volumeId, p);
    assert.equal(existsSync(p.target), false, 'unpublish removes the target it created');
    await c().controller('DeleteVolume', { volumeId: v.volumeId });
  });

  it('repeats stage and publish at the same path as no-ops and honours read-only', async () => {
    const v = (await c().controller('CreateVolume', { name: 'ro', volumeCapabilities: [mountCap()] })).volume!;
    const p = await stageAndPublish(v.volumeId, mountCap(), 'rw');
    writeFileSync(join(p.target, 'hello'), 'world');
    await c().node('NodeStageVolume', { volumeId: v.volumeId, stagingTargetPath: p.staging, volumeCapability: mountCap() });
    await c().node('NodePublishVolume', { volumeId: v.volumeId, stagingTargetPath: p.staging, targetPath: p.target, volumeCapability: mountCap() });
    await expectCode(
      c().node('NodePublishVolume', { volumeId: v.volumeId, stagingTargetPath: p.staging, targetPath: p.target, volumeCapability: mountCap(), readonly: true }),
      status.ALREADY_EXISTS,
    );
    const roTarget = join(dir, 'targets', 'ro');
    await c().node('NodePublishVolume', {
      volumeId: v.volumeId,
      stagingTargetPath: p.staging,
      targetPath: roTarget,
      volumeCapability: mountCap(),
      readonly: true,
    });
    assert.equal(readFileSync(join(roTarget, 'hello'), 'utf8'), 'world');
    assert.throws(() => writeFileSync(join(roTarget, 'nope'), 'x'), /EROFS|read-only/);
    await expectCode(c().node('NodeUnstageVolume', { volumeId: v.volumeId, stagingTargetPath: p.staging }), status.FAILED_PRECONDITION);
    await expectCode(c().controller('DeleteVolume', { volumeId: v.volumeId }), status.FAILED_PRECONDITION);
    await c().node('NodeUnpublishVolume', { volumeId: v.volumeId, targetPath: roTarget });
    await c().node('NodeUnpublishVolume', { volumeId: v.volumeId, targetPath: roTarget }); // repeat: success
    await expectCode(c().node('NodeUnpublishVolume', { volumeId: 'vol-0000000000000000', targetPath: roTarget }), status.NOT_FOUND); // no such volume
    await unpublishAndUnstage(v.volumeId, p);
    await c().controller('DeleteVolume', { volumeId: v.volumeId });
  });

  it('restores a snapshot into a new volume with identical data, and clones a volume', async () => {
    const v = (await c().controller('CreateVolume', { name: 'snapsrc', capacityRange: { requiredBytes: String(32 * MiB) }, volumeCapabilities: [mountCap()] }))
      .volume!;
    const p = await stageAndPublish(v.volumeId, mountCap(), 'snapsrc');
    assert.ok(ddWrite(join(p.target, 'data'), 8).ok);
    const want = sha256File(join(p.target, 'data'));
    const snap = (await c().controller('CreateSnapshot', { name: 'snap1', sourceVolumeId: v.volumeId })).snapshot!;
    assert.equal(snap.readyToUse, true);
    assert.equal(snap.sourceVolumeId, v.volumeId);
    assert.equal((await c().controller('CreateSnapshot', { name: 'snap1', sourceVolumeId: v.volumeId })).snapshot?.snapshotId, snap.snapshotId);
    writeFileSync(join(p.target, 'data'), 'changed after the snapshot');
    assert.equal((await c().controller('GetSnapshot', { snapshotId: snap.snapshotId })).snapshot?.snapshotId, snap.snapshotId);
    assert.equal((await c().controller('ListSnapshots', { sourceVolumeId: v.volumeId })).entries.length, 1);

    const restored = (
      await c().controller('CreateVolume', {
        name: 'fromsnap',
        capacityRange: { requiredBytes: String(32 * MiB) },
        volumeCapabilities: [mountCap()],
        volumeContentSource: { snapshot: { snapshotId: snap.snapshotId } },
      })
    ).volume!;
    assert.equal(restored.contentSource?.snapshot?.snapshotId, snap.snapshotId);
    const rp = await stageAndPublish(restored.volumeId, mountCap(), 'fromsnap');
    assert.equal(sha256File(join(rp.target, 'data')), want);

    const clone = (
      await c().controller('CreateVolume', {
        name: 'clone',
        capacityRange: { requiredBytes: String(32 * MiB) },
        volumeCapabilities: [mountCap()],
        volumeContentSource: { volume: { volumeId: v.volumeId } },
      })
    ).volume!;
    const cp = await stageAndPublish(clone.volumeId, mountCap(), 'clone');
    assert.equal(readFileSync(join(cp.target, 'data'), 'utf8'), 'changed after the snapshot');
    await expectCode(
      c().controller('CreateVolume', {
        name: 'toosmall',
        capacityRange: { requiredBytes: String(16 * MiB) },
        volumeCapabilities: [mountCap()],
        volumeContentSource: { snapshot: { snapshotId: snap.snapshotId } },
      }),
      status.OUT_OF_RANGE,
    );

    for (const [id, pp] of [
      [v.volumeId, p],
      [restored.volumeId, rp],
      [clone.volumeId, cp],
    ] as const) {
      await unpublishAndUnstage(id, pp);
      await c().controller('DeleteVolume', { volumeId: id });
    }
    await c().controller('DeleteSnapshot', { snapshotId: snap.snapshotId });
    await c().controller('DeleteSnapshot', { snapshotId: snap.snapshotId });
    await expectCode(c().controller('GetSnapshot', { snapshotId: snap.snapshotId }), status.NOT_FOUND);
  });

  it('expands a published mount volume online', async () => {
    const v = (await c().controller('CreateVolume', { name: 'grow', capacityRange: { requiredBytes: String(16 * MiB) }, volumeCapabilities: [mountCap()] }))
      .volume!;
    const p = await stageAndPublish(v.volumeId, mountCap(), 'grow');
    assert.equal(ddWrite(join(p.target, 'a'), 24).ok, false);
    const res = await c().controller('ControllerExpandVolume', { volumeId: v.volumeId, capacityRange: { requiredBytes: String(64 * MiB) } });
    assert.equal(res.capacityBytes, String(64 * MiB));
    assert.equal(ddWrite(join(p.target, 'a'), 24).ok, true, 'after expansion 24 MiB fits');
    await unpublishAndUnstage(v.volumeId, p);
    await c().controller('DeleteVolume', { volumeId: v.volumeId });
  });

  it('serves block volumes through a loop device: write, read back, snapshot, expand', async () => {
    const v = (await c().controller('CreateVolume', { name: 'blk', capacityRange: { requiredBytes: String(32 * MiB) }, volumeCapabilities: [blockCap()] }))
      .volume!;
    const p = await stageAndPublish(v.volumeId, blockCap(), 'blk');
    assert.ok(statSync(p.target).isBlockDevice(), 'target is the device');
    assert.ok(ddWrite(p.target, 8, ['oflag=direct']).ok);
    const want = sha256Head(p.target, 8);
    const snap = (await c().controller('CreateSnapshot', { name: 'blksnap', sourceVolumeId: v.volumeId })).snapshot!;
    const restored = (
      await c().controller('CreateVolume', {
        name: 'blk2',
        capacityRange: { requiredBytes: String(32 * MiB) },
        volumeCapabilities: [blockCap()],
        volumeContentSource: { snapshot: { snapshotId: snap.snapshotId } },
      })
    ).volume!;
    const rp = await stageAndPublish(restored.volumeId, blockCap(), 'blk2', true);
    assert.equal(sha256Head(rp.target, 8), want);
    assert.equal(ddWrite(rp.target, 1, ['oflag=direct']).ok, false, 'read-only block publish refuses writes');
    await expectCode(
      c().controller('CreateVolume', { name: 'blk3', volumeCapabilities: [mountCap()], volumeContentSource: { snapshot: { snapshotId: snap.snapshotId } } }),
      status.INVALID_ARGUMENT,
    );

    const grown = await c().controller('ControllerExpandVolume', { volumeId: v.volumeId, capacityRange: { requiredBytes: String(48 * MiB) } });
    assert.equal(grown.nodeExpansionRequired, true);
    await c().node('NodeExpandVolume', { volumeId: v.volumeId, volumePath: p.target });
    const size = Number(require('node:child_process').execFileSync('blockdev', ['--getsize64', p.target], { encoding: 'utf8' }).trim());
    assert.equal(size, 48 * MiB);

    await unpublishAndUnstage(v.volumeId, p);
    await unpublishAndUnstage(restored.volumeId, rp);
    await c().controller('DeleteVolume', { volumeId: v.volumeId });
    await c().controller('DeleteVolume', { volumeId: restored.volumeId });
    await c().controller('DeleteSnapshot', { snapshotId: snap.snapshotId });
  });

  it('pages ListVolumes and rejects a bogus token with ABORTED', async () => {
    const ids: string[] = [];
    for (const n of ['p1', 'p2', 'p3'])
      ids.push(
        (await c().controller('CreateVolume', { name: n, capacityRange: { requiredBytes: String(MiB) }, volumeCapabilities: [mountCap()] })).volume!.volumeId,
      );
    const first = await c().controller('ListVolumes', { maxEntries: 2 });
    assert.equal(first.entries.length, 2);
    assert.notEqual(first.nextToken, '');
    const rest = await c().controller('ListVolumes', { startingToken: first.nextToken });
    const seen = [...first.entries, ...rest.entries].map((e) => e.volume!.volumeId);
    for (const id of ids) assert.ok(seen.includes(id));
    await expectCode(c().controller('ListVolumes', { startingToken: 'garbage' }), status.ABORTED);
    for (const id of ids) await c().controller('DeleteVolume', { volumeId: id });
  });

  it('accounts capacity per pool in GetCapacity', async () => {
    const before = Number((await c().controller('GetCapacity', { parameters: { pool: 'slow' } })).availableCapacity);
    const v = (
      await c().controller('CreateVolume', {
        name: 'cap',
        capacityRange: { requiredBytes: String(100 * MiB) },
        volumeCapabilities: [mountCap()],
        parameters: { pool: 'slow' },
      })
    ).volume!;
    const after = Number((await c().controller('GetCapacity', { parameters: { pool: 'slow' } })).availableCapacity);
    assert.equal(before - after, 100 * MiB);
    const elsewhere = await c().controller('GetCapacity', { accessibleTopology: { segments: { 'berth.io/node': 'node-z' } } });
    assert.equal(elsewhere.availableCapacity, '0');
    await c().controller('DeleteVolume', { volumeId: v.volumeId });
  });

  it('answers ABORTED to a concurrent call on the same volume name, creating exactly one volume', async () => {
    const req = { name: 'race', capacityRange: { requiredBytes: String(MiB) }, volumeCapabilities: [mountCap()] };
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => c().controller('CreateVolume', req)));
    const ok = results
      .filter((r) => r.status === 'fulfilled')
      .map((r) => (r as PromiseFulfilledResult<{ volume?: { volumeId: string } | null }>).value.volume!.volumeId);
    const failed = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as { codeName: string });
    assert.ok(ok.length >= 1);
    assert.equal(new Set(ok).size, 1);
    for (const f of failed) assert.equal(f.codeName, 'ABORTED');
    const named = (await c().controller('ListVolumes', {})).entries.filter((e) => e.volume?.volumeId === ok[0]);
    assert.equal(named.length, 1);
    await c().controller('DeleteVolume', { volumeId: ok[0] });
  });

  it('keeps volumes, snapshots and publications across a restart', async () => {
    const v = (await c().controller('CreateVolume', { name: 'survivor', capacityRange: { requiredBytes: String(16 * MiB) }, volumeCapabilities: [mountCap()] }))
      .volume!;
    const p = await stageAndPublish(v.volumeId, mountCap(), 'survivor');
    writeFileSync(join(p.target, 'keep'), 'me');
    const snap = (await c().controller('CreateSnapshot', { name: 'survivor-snap', sourceVolumeId: v.volumeId })).snapshot!;
    assert.equal(await plugin.stop(), 0, 'SIGTERM is a clean exit');
    assert.equal(existsSync(plugin.socket), false, 'the socket is removed on shutdown');
    assert.equal(readFileSync(join(p.target, 'keep'), 'utf8'), 'me', 'a running workload keeps its volume while the plugin is down');
    plugin = await startPlugin(args, join(dir, 'csi.sock'));
    const listed = (await c().controller('ListVolumes', {})).entries.map((e) => e.volume?.volumeId);
    assert.ok(listed.includes(v.volumeId));
    assert.equal((await c().controller('GetSnapshot', { snapshotId: snap.snapshotId })).snapshot?.sourceVolumeId, v.volumeId);
    await c().node('NodePublishVolume', { volumeId: v.volumeId, stagingTargetPath: p.staging, targetPath: p.target, volumeCapability: mountCap() });
    const stats = await c().node('NodeGetVolumeStats', { volumeId: v.volumeId, volumePath: p.target });
    assert.equal(stats.usage[0].total, String(16 * MiB));
    await unpublishAndUnstage(v.volumeId, p);
    await c().controller('DeleteSnapshot', { snapshotId: snap.snapshotId });
    await c().controller('DeleteVolume', { volumeId: v.volumeId });
  });

  it('resolves a CreateVolume interrupted by a crash: no unaccounted subvolume, and the retry succeeds', async () => {
    await plugin.stop();
    const crashing = await startPlugin(args, join(dir, 'csi.sock'), { BERTH_FAILPOINTS: 'local.create-volume.after-subvolume' });
    await assert.rejects(crashing.client.controller('CreateVolume', { name: 'crashy', volumeCapabilities: [mountCap()] }, { timeoutMs: 10_000 }));
    await crashing.exited;
    const state = JSON.parse(readFileSync(join(dir, 'state', 'state.json'), 'utf8')) as { volumes: { name: string; status: string; id: string }[] };
    const half = state.volumes.find((x) => x.name === 'crashy');
    assert.equal(half?.status, 'creating', 'the crash left an intent record');
    const halfPath = join(dir, 'state', 'pools', 'fast', 'volumes', half!.id);
    assert.ok(existsSync(halfPath), 'and a half-made subvolume');
    plugin = await startPlugin(args, join(dir, 'csi.sock'));
    assert.equal(existsSync(halfPath), false, 'restart removed the half-made subvolume');
    assert.ok(!(await c().controller('ListVolumes', {})).entries.some((e) => e.volume?.volumeId === half!.id));
    const retry = (await c().controller('CreateVolume', { name: 'crashy', volumeCapabilities: [mountCap()] })).volume!;
    await c().controller('DeleteVolume', { volumeId: retry.volumeId });
  });
});
