import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ByteRange } from '../repository';

const run = promisify(execFile);

const HEADER = /^File size of .* is (\d+) \((\d+) blocks? of (\d+) bytes\)/m;
const EXTENT = /^\s*\d+:\s+(\d+)\.\.\s*(\d+):\s+\d+\.\.\s*\d+:\s+\d+:/;

/**
 * The holes of a file — the byte ranges no extent holds — from `filefrag -e` output (FIEMAP). A hole
 * reads as zeros. Unwritten (preallocated) extents also read as zeros but are listed as extents, so
 * they are not holes here: a hole list may miss zeros, never claim data is zero.
 */
export function parseHoles(output: string): ByteRange[] {
  const header = HEADER.exec(output);
  if (!header) throw new Error('filefrag printed no file size');
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

/** The holes of a file, or undefined when they cannot be learned (no FIEMAP on this filesystem, no filefrag). */
export async function holesOf(path: string): Promise<ByteRange[] | undefined> {
  try {
    const { stdout } = await run('filefrag', ['-e', path], { maxBuffer: 256 * 1024 * 1024 });
    return parseHoles(stdout);
  } catch {
    return undefined;
  }
}
