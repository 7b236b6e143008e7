import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * What changed in a btrfs snapshot since a generation, from `btrfs subvolume find-new`: every file
 * extent written after `sinceGeneration` (by inode, with its byte range), and the snapshot's own
 * generation (the marker the next incremental backup starts from). Extents not listed were not
 * written since, so files and image ranges without any can reuse what the parent backup stored.
 */
export interface BtrfsChanges {
  generation: number;
  /** Changed byte ranges per inode number. */
  extents: Map<number, { offset: number; length: number }[]>;
}

const EXTENT_LINE = /^inode (\d+) file offset (\d+) len (\d+) .* gen (\d+) flags/;
const MARKER_LINE = /^transid marker was (\d+)$/;

export function parseFindNew(output: string): BtrfsChanges {
  let generation: number | undefined;
  const extents = new Map<number, { offset: number; length: number }[]>();
  for (const line of output.split('\n')) {
    const e = EXTENT_LINE.exec(line);
    if (e) {
      const inode = Number(e[1]);
      extents.set(inode, [...(extents.get(inode) ?? []), { offset: Number(e[2]), length: Number(e[3]) }]);
      continue;
    }
    const m = MARKER_LINE.exec(line.trim());
    if (m) generation = Number(m[1]);
  }
  if (generation === undefined) throw new Error('btrfs find-new printed no transid marker');
  return { generation, extents };
}

/** Changes in `snapshotPath` (a btrfs subvolume) since `sinceGeneration`; undefined when it is not on btrfs. */
export async function btrfsChangesSince(snapshotPath: string, sinceGeneration: number): Promise<BtrfsChanges | undefined> {
  try {
    const { stdout } = await run('btrfs', ['subvolume', 'find-new', snapshotPath, String(sinceGeneration)], { maxBuffer: 256 * 1024 * 1024 });
    return parseFindNew(stdout);
  } catch {
    return undefined; // not a subvolume, not btrfs, or no btrfs tool: the caller falls back to comparing
  }
}

/** The snapshot's generation (nothing listed: a generation above any real one). */
export async function btrfsGeneration(snapshotPath: string): Promise<number | undefined> {
  return (await btrfsChangesSince(snapshotPath, Number.MAX_SAFE_INTEGER))?.generation;
}
