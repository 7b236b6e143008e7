import { isAbsolute, join } from 'node:path';

/**
 * The contract between berth.local (plugins/local) and the agent's data mover (agent/data-mover.ts):
 * the backup fast path. berth.local lists in its GetPluginInfo manifest the directories its snapshots
 * lie in (one per pool); a snapshot is the directory named by its id inside one of them, and a block
 * volume — so also its snapshot — is the sparse file `block.img` inside its directory. The mover on the
 * same node reads a snapshot there in place (and asks btrfs what changed since the parent) instead of
 * restoring it into a temporary volume. Both sides build these names from here and nowhere else.
 */

/** The GetPluginInfo manifest key under which berth.local lists its snapshot directories. */
export const SNAPSHOT_DIRS_KEY = 'berth.dev/snapshot-dirs';

/** The file a block volume's data is, inside the volume's (or its snapshot's) directory. */
export const BLOCK_IMAGE_FILE = 'block.img';

/** The manifest value listing `dirs` (a JSON array of absolute paths). */
export function encodeSnapshotDirs(dirs: readonly string[]): string {
  return JSON.stringify(dirs);
}

/** The absolute directories a manifest value lists; none when it is absent or not what berth.local writes. */
export function decodeSnapshotDirs(value: string | undefined): string[] {
  if (!value) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.filter((d): d is string => typeof d === 'string' && isAbsolute(d));
}

/** Where snapshot `snapshotId` lies in one of the listed directories. */
export function snapshotPathIn(snapshotDir: string, snapshotId: string): string {
  return join(snapshotDir, snapshotId);
}

/** The block image inside a volume's or snapshot's directory. */
export function blockImageIn(dir: string): string {
  return join(dir, BLOCK_IMAGE_FILE);
}
