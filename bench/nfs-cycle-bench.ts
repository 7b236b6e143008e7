import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupUnder } from '../integration/harness/cleanup';
import { hasCommand, tempDir } from '../integration/harness/fs-helpers';
import { PluginProcess, startPlugin } from '../integration/harness/plugin-process';
import { Daemon, removeRpcbindSocket, startGanesha, startRpcbind, stopDaemon } from '../integration/nfs-plugin/nfs-server';
import type { VolumeCapability } from '../proto/csi/types';
import { rawRoundTrip } from './csi-cycle-bench';
import type { BenchResult } from './main';
import { fmtMs, percentile, timeMs } from './stats';

const CYCLES = 40;
const WARMUP = 3;
const NODE = '127.0.0.1';
const STEPS = ['CreateVolume', 'ControllerPublishVolume', 'ControllerUnpublishVolume', 'DeleteVolume'] as const;
const WHY =
  'no NodeStage (the NFS driver has no STAGE_UNSTAGE_VOLUME) and no NodePublish/NodeUnpublish: ' +
  "they mount with the kernel NFS client, which this machine's kernel lacks";

/**
 * The NFS plugin's controller cycle against a real nfs-ganesha (rpcbind in a private network namespace):
 * CreateVolume (btrfs subvolume + qgroup + its own export, config rewritten, ganesha SIGHUP'd and the
 * reload confirmed in its log) → ControllerPublishVolume (a CLIENT block for the node, reload) →
 * ControllerUnpublishVolume (revoked, reload) → DeleteVolume (export removed, reload, subvolume deleted).
 */
export async function runNfsCycleBench(): Promise<BenchResult> {
  if (process.getuid?.() !== 0) return { lines: ['skipped: needs root (loop devices, btrfs, ganesha)'] };
  const missing = ['ganesha.nfsd', 'rpcbind', 'unshare', 'mkfs.btrfs'].filter((c) => !hasCommand(c));
  if (missing.length > 0) return { lines: [`skipped: missing ${missing.join(', ')} (Debian: nfs-ganesha nfs-ganesha-vfs rpcbind btrfs-progs)`] };
  const dir = tempDir('bench-nfs');
  let rpcbind: Daemon | undefined;
  let ganesha: Daemon | undefined;
  let plugin: PluginProcess | undefined;
  try {
    const raw = await rawRoundTrip(dir);

    const root = join(dir, 'root');
    mkdirSync(root);
    const image = join(dir, 'root.img');
    execFileSync('truncate', ['-s', '512M', image]);
    execFileSync('mkfs.btrfs', ['-q', '-f', image]);
    const loop = execFileSync('losetup', ['-f', '--show', image], { encoding: 'utf8' }).trim();
    execFileSync('mount', [loop, root]);
    const conf = join(dir, 'ganesha.conf');
    const log = join(dir, 'ganesha.log');
    const pid = join(dir, 'ganesha.pid');
    rpcbind = await startRpcbind();
    plugin = await startPlugin(
      [
        'nfs',
        '--node-id',
        NODE,
        '--export-root',
        root,
        '--state-dir',
        join(dir, 'state'),
        '--ganesha-config',
        conf,
        '--ganesha-pidfile',
        pid,
        '--ganesha-log',
        log,
        '--bind-address',
        '127.0.0.1',
        '--default-volume-size',
        '16Mi',
      ],
      join(dir, 'csi.sock'),
      { BERTH_LOG_LEVEL: 'warn' },
    );
    if (!existsSync(conf)) throw new Error('the NFS plugin did not write the ganesha config');
    ganesha = await startGanesha(conf, log, pid);

    const c = plugin.client;
    const cap: VolumeCapability = { mount: { fsType: '', mountFlags: [] }, accessMode: { mode: 'MULTI_NODE_MULTI_WRITER' } };
    const cycles: number[] = [];
    const steps = new Map<string, number[]>(STEPS.map((s) => [s, []]));
    for (let i = 0; i < WARMUP + CYCLES; i++) {
      const t: Record<string, number> = {};
      const ms = await timeMs(async () => {
        let volumeId = '';
        t.CreateVolume = await timeMs(async () => {
          volumeId = (await c.controller('CreateVolume', { name: `bench-${i}`, capacityRange: { requiredBytes: String(16 << 20) }, volumeCapabilities: [cap] }))
            .volume!.volumeId;
        });
        t.ControllerPublishVolume = await timeMs(() => c.controller('ControllerPublishVolume', { volumeId, nodeId: NODE, volumeCapability: cap }));
        t.ControllerUnpublishVolume = await timeMs(() => c.controller('ControllerUnpublishVolume', { volumeId, nodeId: NODE }));
        t.DeleteVolume = await timeMs(() => c.controller('DeleteVolume', { volumeId }));
      });
      if (i < WARMUP) continue;
      cycles.push(ms);
      for (const s of STEPS) steps.get(s)!.push(t[s]);
    }
    const left = (await c.controller('ListVolumes', {})).entries.length;
    if (left !== 0) throw new Error(`${left} volumes left behind after the cycles`);

    const rawP50 = percentile(raw, 50);
    const cycleP50 = percentile(cycles, 50);
    return {
      lines: [
        `raw grpc-js unary round trip (unix socket, ${raw.length} calls): p50 ${fmtMs(rawP50)}, p95 ${fmtMs(percentile(raw, 95))}`,
        `nfs plugin create→ControllerPublish→ControllerUnpublish→delete (${CYCLES} cycles, btrfs subvolume + per-volume ganesha export): ` +
          `p50 ${fmtMs(cycleP50)}, p95 ${fmtMs(percentile(cycles, 95))}`,
        `  measured: those 4 controller calls only — ${WHY}`,
        `  per step p50: ${STEPS.map((s) => `${s} ${fmtMs(percentile(steps.get(s)!, 50))}`).join(', ')}`,
        `ratio cycle p50 / raw round trip p50: ${(cycleP50 / rawP50).toFixed(0)}× (each step rewrites ganesha.conf and waits for the SIGHUP reload; create/delete add btrfs subvolume + qgroup work)`,
      ],
    };
  } finally {
    await plugin?.stop().catch(() => undefined);
    await stopDaemon(ganesha);
    await stopDaemon(rpcbind);
    if (rpcbind) removeRpcbindSocket();
    cleanupUnder(dir);
  }
}
