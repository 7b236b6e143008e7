import { existsSync } from 'node:fs';
import { run } from '../../lib/exec/run';

/**
 * Thin wrappers over `btrfs` for plugins that keep one subvolume per volume with a qgroup limit
 * (the only enforced per-volume capacity on this kind of machine). Paths are passed as arguments,
 * never through a shell; callers validate ids before building them.
 */

/** The filesystem type of the filesystem holding `path` (`btrfs`, `xfs`, `ext2/ext3`, `tmpfs`, …). */
export async function fsTypeOf(path: string): Promise<string> {
  return (await run('stat', ['-f', '-c', '%T', path])).trim();
}

/** Turns quotas on so qgroup limits are enforced; enabling them again is a no-op. */
export async function enableQuota(root: string): Promise<void> {
  await run('btrfs', ['quota', 'enable', root]);
}

export async function createSubvolume(path: string): Promise<void> {
  await run('btrfs', ['subvolume', 'create', path]);
}

/** A snapshot shares every extent with its source: instant, and no space until either side is written. */
export async function snapshotSubvolume(source: string, target: string, readOnly: boolean): Promise<void> {
  await run('btrfs', ['subvolume', 'snapshot', ...(readOnly ? ['-r'] : []), source, target]);
}

export async function setQgroupLimit(path: string, bytes: number): Promise<void> {
  await run('btrfs', ['qgroup', 'limit', String(bytes), path]);
}

/** Deletes a subvolume (read-only snapshots included); a missing path is already deleted. */
export async function deleteSubvolume(path: string): Promise<void> {
  if (!existsSync(path)) return;
  // Older kernels refuse to delete a read-only snapshot until it is made writable.
  await run('btrfs', ['property', 'set', '-ts', path, 'ro', 'false']).catch(() => undefined);
  await run('btrfs', ['subvolume', 'delete', path]);
}

/** Bytes a subvolume references now, from its level-0 qgroup (0 when quotas have not counted it yet). */
export async function referencedBytes(path: string): Promise<number> {
  // -f: only this subvolume's qgroup; --raw: bytes. Row: qgroupid rfer excl [max_rfer].
  const out = await run('btrfs', ['qgroup', 'show', '-f', '--raw', path]);
  const row = out.split('\n').find((l) => /^0\/\d+\s/.test(l.trim()));
  return row ? Number(row.trim().split(/\s+/)[1]) : 0;
}
