import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupUnder } from '../integration/harness/cleanup';
import { hasCommand, tempDir } from '../integration/harness/fs-helpers';
import { PluginProcess, startPlugin } from '../integration/harness/plugin-process';
import { detachAllUnder, startTgtd, stopTgtd, targetNames, TgtdProcess, tgtadm } from '../integration/iscsi-plugin/tgtd';
import type { VolumeCapability } from '../proto/csi/types';
import { rawRoundTrip } from './csi-cycle-bench';
import type { BenchResult } from './main';
import { fmtMs, percentile, timeMs } from './stats';

/**
 * The user-space stage (qemu-nbd + nbdfuse + loop + mkfs.ext4 + mount) dominates a cycle (~0.35–0.5 s here):
 * 30 cycles keep the whole bench around 15–20 s.
 */
const CYCLES = 30;
const WARMUP = 2;
const NODE = 'bench';
const STEPS = [
  'CreateVolume',
  'ControllerPublishVolume',
  'NodeStageVolume',
  'NodePublishVolume',
  'NodeUnpublishVolume',
  'NodeUnstageVolume',
  'ControllerUnpublishVolume',
  'DeleteVolume',
] as const;

/**
 * The iSCSI plugin's full CO cycle against a real tgtd on 127.0.0.1:3260 with the user-space initiator:
 * CreateVolume (sparse backing file + tgt target/LUN) → ControllerPublishVolume (ACL binds the node's IQN)
 * → NodeStageVolume (nbdfuse + qemu-nbd iSCSI login, loop device, mkfs.ext4 on first use, mount)
 * → NodePublishVolume (bind mount) → NodeUnpublishVolume → NodeUnstageVolume (umount, loop and FUSE detached)
 * → ControllerUnpublishVolume (ACL unbound) → DeleteVolume (target and file removed).
 */
export async function runIscsiCycleBench(): Promise<BenchResult> {
  if (process.getuid?.() !== 0) return { lines: ['skipped: needs root (tgtd, loop devices, FUSE, mounts)'] };
  const missing = ['tgtd', 'tgtadm', 'qemu-nbd', 'nbdfuse', 'fusermount3', 'mkfs.ext4'].filter((c) => !hasCommand(c));
  if (missing.length > 0) return { lines: [`skipped: missing ${missing.join(', ')} (Debian: tgt libnbd-bin qemu-utils qemu-block-extra fuse3)`] };
  if (tgtadm(['--mode', 'target', '--op', 'show']).ok) {
    return { lines: ['skipped: another tgtd is already running on this machine (this bench starts and stops its own on 127.0.0.1:3260)'] };
  }
  const dir = tempDir('bench-iscsi');
  let tgtd: TgtdProcess | undefined;
  let plugin: PluginProcess | undefined;
  try {
    const raw = await rawRoundTrip(dir);
    mkdirSync(join(dir, 'pool'));
    tgtd = await startTgtd();
    plugin = await startPlugin(
      [
        'iscsi',
        '--node-id',
        NODE,
        '--pool',
        `p=${dir}/pool`,
        '--state-dir',
        join(dir, 'state'),
        '--default-volume-size',
        '64Mi',
        '--reconcile-interval',
        '0',
        '--attach',
        'userspace',
      ],
      join(dir, 'csi.sock'),
      { BERTH_LOG_LEVEL: 'warn' },
    );
    const c = plugin.client;
    const cap: VolumeCapability = { mount: { fsType: 'ext4', mountFlags: [] }, accessMode: { mode: 'SINGLE_NODE_WRITER' } };
    const cycles: number[] = [];
    const started = Date.now();
    const steps = new Map<string, number[]>(STEPS.map((s) => [s, []]));
    for (let i = 0; i < WARMUP + CYCLES; i++) {
      const staging = join(dir, 'staging', String(i));
      const target = join(dir, 'target', String(i));
      const t: Record<string, number> = {};
      const ms = await timeMs(async () => {
        let volumeId = '';
        let publishContext: Record<string, string> = {};
        t.CreateVolume = await timeMs(async () => {
          volumeId = (await c.controller('CreateVolume', { name: `bench-${i}`, capacityRange: { requiredBytes: String(64 << 20) }, volumeCapabilities: [cap] }))
            .volume!.volumeId;
        });
        t.ControllerPublishVolume = await timeMs(async () => {
          publishContext = (await c.controller('ControllerPublishVolume', { volumeId, nodeId: NODE, volumeCapability: cap })).publishContext;
        });
        t.NodeStageVolume = await timeMs(() => c.node('NodeStageVolume', { volumeId, stagingTargetPath: staging, volumeCapability: cap, publishContext }));
        t.NodePublishVolume = await timeMs(() =>
          c.node('NodePublishVolume', { volumeId, stagingTargetPath: staging, targetPath: target, volumeCapability: cap, publishContext }),
        );
        t.NodeUnpublishVolume = await timeMs(() => c.node('NodeUnpublishVolume', { volumeId, targetPath: target }));
        t.NodeUnstageVolume = await timeMs(() => c.node('NodeUnstageVolume', { volumeId, stagingTargetPath: staging }));
        t.ControllerUnpublishVolume = await timeMs(() => c.controller('ControllerUnpublishVolume', { volumeId, nodeId: NODE }));
        t.DeleteVolume = await timeMs(() => c.controller('DeleteVolume', { volumeId }));
      });
      if (i < WARMUP) continue;
      cycles.push(ms);
      for (const s of STEPS) steps.get(s)!.push(t[s]);
    }
    const loopSeconds = (Date.now() - started) / 1000;
    const left = targetNames().length;
    if (left !== 0) throw new Error(`${left} tgt targets left behind after the cycles`);

    const rawP50 = percentile(raw, 50);
    const cycleP50 = percentile(cycles, 50);
    const stageShare = (percentile(steps.get('NodeStageVolume')!, 50) + percentile(steps.get('NodeUnstageVolume')!, 50)) / cycleP50;
    return {
      lines: [
        `raw grpc-js unary round trip (unix socket, ${raw.length} calls): p50 ${fmtMs(rawP50)}, p95 ${fmtMs(percentile(raw, 95))}`,
        `iscsi plugin create→ControllerPublish→stage→publish→unpublish→unstage→ControllerUnpublish→delete (${CYCLES} cycles, 64 MiB ext4, ` +
          `tgtd + user-space initiator qemu-nbd/nbdfuse/loop): p50 ${fmtMs(cycleP50)}, p95 ${fmtMs(percentile(cycles, 95))}`,
        `  measured: all 8 CSI calls of a CO's attach/detach cycle, every cycle a new volume (so stage runs mkfs.ext4); ` +
          `${CYCLES} cycles (+${WARMUP} warm-up, ${loopSeconds.toFixed(1)} s) because stage goes through the slow user-space initiator — this kernel has no iSCSI initiator`,
        `  per step p50: ${STEPS.map((s) => `${s} ${fmtMs(percentile(steps.get(s)!, 50))}`).join(', ')}`,
        `ratio cycle p50 / raw round trip p50: ${(cycleP50 / rawP50).toFixed(0)}× (stage+unstage are ${(stageShare * 100).toFixed(0)}% of a cycle: FUSE/qemu-nbd login, loop, mkfs.ext4, mount)`,
      ],
    };
  } finally {
    try {
      await plugin?.stop().catch(() => undefined);
    } finally {
      detachAllUnder(dir);
      await stopTgtd(tgtd);
      cleanupUnder(dir);
    }
  }
}
