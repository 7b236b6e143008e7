import { CommandError, run } from '../../lib/exec/run';

/** The filesystem on a device, or '' when blkid finds none (exit 2). Probes the device, not blkid's cache. */
export async function detectFs(device: string): Promise<string> {
  try {
    return (await run('blkid', ['-p', '-s', 'TYPE', '-o', 'value', '--', device])).trim();
  } catch (error) {
    if (error instanceof CommandError && error.exitCode === 2) return '';
    throw error;
  }
}

export async function makeFs(fsType: string, device: string): Promise<void> {
  // No -f/-F for xfs: mkfs must refuse a device that already carries something blkid missed.
  if (fsType === 'xfs') await run('mkfs.xfs', ['-q', '--', device], { timeoutMs: 120_000 });
  else await run('mkfs.ext4', ['-q', '-F', '-m', '0', '--', device], { timeoutMs: 120_000 });
}

export async function deviceBytes(device: string): Promise<number> {
  return Number((await run('blockdev', ['--getsize64', device])).trim());
}

async function ext4Bytes(device: string): Promise<number> {
  const out = await run('dumpe2fs', ['-h', '--', device]);
  const count = Number(/^Block count:\s+(\d+)/m.exec(out)?.[1] ?? 0);
  const size = Number(/^Block size:\s+(\d+)/m.exec(out)?.[1] ?? 0);
  return count * size;
}

/**
 * Grows an unmounted ext4 to its device. A mounted ext4 cannot grow on every host (this one answers EPERM),
 * so NodeStage does it before mounting: a volume expanded while unstaged comes back at its new size.
 */
export async function growExt4Offline(device: string): Promise<boolean> {
  const [fsBytes, devBytes] = await Promise.all([ext4Bytes(device), deviceBytes(device)]);
  if (devBytes - fsBytes < 1024 * 1024) return false;
  try {
    await run('e2fsck', ['-f', '-p', '--', device], { timeoutMs: 600_000 });
  } catch (error) {
    // 1 = errors corrected; anything else leaves the filesystem as it was, unmounted and unresized.
    if (!(error instanceof CommandError && error.exitCode === 1)) throw error;
  }
  await run('resize2fs', ['--', device], { timeoutMs: 600_000 });
  return true;
}

/** Grows a mounted filesystem to its device where the kernel allows it (xfs always, ext4 where online resize works). */
export async function growMounted(fsType: string, device: string, mountPoint: string): Promise<void> {
  if (fsType === 'xfs') await run('xfs_growfs', ['--', mountPoint]);
  else if (fsType === 'ext4' && (await deviceBytes(device)) - (await ext4Bytes(device)) >= 1024 * 1024) await run('resize2fs', ['--', device]);
}
