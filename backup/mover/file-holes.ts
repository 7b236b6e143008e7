import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ByteRange } from '../repository';

const run = promisify(execFile);

const FS_TYPE = /^Filesystem type is: ([0-9a-f]+)$/m;
const HEADER = /^File size of .* is (\d+) \((\d+) blocks? of (\d+) bytes\)/m;
const EXTENT = /^\s*\d+:\s+(\d+)\.\.\s*(\d+):\s+\d+\.\.\s*\d+:\s+\d+:/;
const TRAILER = /: \d+ extents? found$/m;
/**
 * Filesystems whose FIEMAP is trusted: btrfs, ext4 (ext2/3/4 share the magic) and xfs. Elsewhere
 * filefrag may fall back to FIBMAP, which on FUSE, virtiofs and the like answers "no block" for data
 * too — a file that looks like one big hole, whose backup would be zeros.
 */
const FIEMAP_FILESYSTEMS = new Set(['9123683e', 'ef53', '58465342']);

/**
 * The holes of a file — the byte ranges no extent holds — from `filefrag -e` output (FIEMAP). A hole
 * reads as zeros. Unwritten (preallocated) extents also read as zeros but are listed as extents, so
 * they are not holes here: a hole list may miss zeros, never claim data is zero.
 */
export function parseHoles(output: string): ByteRange[] {
  const fsType = FS_TYPE.exec(output)?.[1];
  if (!fsType || !FIEMAP_FILESYSTEMS.has(fsType)) throw new Error(`holes are only read from btrfs, ext4 and xfs (filesystem type ${fsType ?? 'unknown'})`);
  const header = HEADER.exec(output);
  if (!header || !TRAILER.test(output)) throw new Error('filefrag printed no file size or no extent count');
  const size = Number(header[1]);
  const blockSize = Number(header[3]);
  const extents: { start: number; end: number }[] = [];
  for (const line of output.split('\n')) {
    const e = EXTENT.exec(line);
    if (e) extents.push({ start: Number(e[1]) * blockSize, end: Math.min(size, (Number(e[2]) + 1) * blockSize) });
  }
  extents.sort((a, b) => a.start - b.start);
  const holes: ByteRange[] = [];
  let cursor = 0;
  for (const { start, end } of extents) {
    if (start > cursor) holes.push({ offset: cursor, length: Math.min(start, size) - cursor });
    cursor = Math.max(cursor, end);
  }
  if (cursor < size) holes.push({ offset: cursor, length: size - cursor });
  return holes.filter((h) => h.length > 0);
}

/** The holes of a file, or undefined when they cannot be learned (not btrfs, ext4 or xfs; no filefrag; output past 256 MiB). */
export async function holesOf(path: string): Promise<ByteRange[] | undefined> {
  try {
    const { stdout } = await run('filefrag', ['-e', path], { maxBuffer: 256 * 1024 * 1024 });
    return parseHoles(stdout);
  } catch {
    return undefined;
  }
}
