import * as grpc from '@grpc/grpc-js';
import { join } from 'node:path';
import { cleanupUnder } from '../integration/harness/cleanup';
import { tempDir } from '../integration/harness/fs-helpers';
import { startPlugin } from '../integration/harness/plugin-process';
import { loadCsi } from '../proto/csi/load';
import type { VolumeCapability } from '../proto/csi/types';
import { CsiClient } from '../volumes/csi-client/client';
import type { BenchResult } from './main';
import { fmtMs, percentile, timeMs } from './stats';

const CYCLES = 60;
const WARMUP = 5;
const ROUND_TRIPS = 2000;

/**
 * The floor any CSI call stands on: a unary grpc-js call over a unix socket to a handler that does nothing.
 * Returns ROUND_TRIPS samples (after 100 warm-up calls); the other CSI benches measure it as their reference.
 */
export async function rawRoundTrip(dir: string): Promise<number[]> {
  const csi = loadCsi().csi.v1;
  const server = new grpc.Server();
  server.addService(csi.Identity.service, {
    GetPluginInfo: (_call: unknown, cb: grpc.sendUnaryData<object>) => cb(null, { name: 'raw', vendorVersion: '0' }),
  });
  const socket = join(dir, 'raw.sock');
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())),
  );
  const client = new CsiClient(socket);
  try {
    for (let i = 0; i < 100; i++) await client.identity('GetPluginInfo', {});
    const samples: number[] = [];
    for (let i = 0; i < ROUND_TRIPS; i++) samples.push(await timeMs(() => client.identity('GetPluginInfo', {})));
    return samples;
  } finally {
    client.close();
    server.forceShutdown();
  }
}

/** create → stage → publish → unpublish → unstage → delete against the real local plugin process. */
export async function runCsiCycleBench(): Promise<BenchResult> {
  const dir = tempDir('bench-csi');
  try {
    const raw = await rawRoundTrip(dir);
    const plugin = await startPlugin(
      ['local', '--node-id', 'bench', '--pool', `p=file:${dir}/pool.img:2G`, '--state-dir', join(dir, 'state')],
      join(dir, 'csi.sock'),
      { BERTH_LOG_LEVEL: 'warn' },
    );
    const c = plugin.client;
    const cap: VolumeCapability = { mount: {}, accessMode: { mode: 'SINGLE_NODE_WRITER' } };
    const cycles: number[] = [];
    try {
      for (let i = 0; i < WARMUP + CYCLES; i++) {
        const staging = join(dir, 'staging', String(i));
        const target = join(dir, 'target', String(i));
        const ms = await timeMs(async () => {
          const v = (await c.controller('CreateVolume', { name: `bench-${i}`, capacityRange: { requiredBytes: String(64 << 20) }, volumeCapabilities: [cap] }))
            .volume!;
          await c.node('NodeStageVolume', { volumeId: v.volumeId, stagingTargetPath: staging, volumeCapability: cap });
          await c.node('NodePublishVolume', { volumeId: v.volumeId, stagingTargetPath: staging, targetPath: target, volumeCapability: cap });
          await c.node('NodeUnpublishVolume', { volumeId: v.volumeId, targetPath: target });
          await c.node('NodeUnstageVolume', { volumeId: v.volumeId, stagingTargetPath: staging });
          await c.controller('DeleteVolume', { volumeId: v.volumeId });
        });
        if (i >= WARMUP) cycles.push(ms);
      }
    } finally {
      await plugin.stop();
    }
    const rawP50 = percentile(raw, 50);
    return {
      lines: [
        `raw grpc-js unary round trip (unix socket, ${ROUND_TRIPS} calls): p50 ${fmtMs(rawP50)}, p95 ${fmtMs(percentile(raw, 95))}`,
        `local plugin create→stage→publish→unpublish→unstage→delete (${CYCLES} cycles, btrfs): p50 ${fmtMs(percentile(cycles, 50))}, p95 ${fmtMs(percentile(cycles, 95))}`,
        `ratio cycle p50 / raw round trip p50: ${(percentile(cycles, 50) / rawP50).toFixed(0)}× (a cycle is 6 calls plus btrfs subvolume, qgroup and mount work)`,
      ],
    };
  } finally {
    cleanupUnder(dir);
  }
}
