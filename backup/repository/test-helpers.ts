import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Helpers shared by this folder's tests (not a test file itself). */

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `berth-repo-${prefix}-`));
}

export async function removeDir(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function sha256File(path: string): Promise<string> {
  return sha256(await fs.readFile(path));
}

/** Text-like, compressible data (log lines). */
export function compressibleData(bytes: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `2024-05-01T12:${String(i % 60).padStart(2, '0')}:00Z level=info msg="request served" path=/api/v1/items/${i % 977} status=200 bytes=${(i * 37) % 5000}\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, bytes);
}

export async function writeRandomFile(path: string, bytes: number): Promise<void> {
  await fs.writeFile(path, randomBytes(bytes));
}

/** Total bytes of regular files under a directory. */
export async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) total += await dirBytes(full);
    else if (entry.isFile()) total += (await fs.stat(full)).size;
  }
  return total;
}

/** Overwrites `count` distinct random 4 KiB-aligned blocks with random data; returns the changed ranges. */
export async function scatterWrites(path: string, size: number, count: number, blockSize = 4096): Promise<{ offset: number; length: number }[]> {
  const blocks = size / blockSize;
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(Math.floor(Math.random() * blocks));
  const handle = await fs.open(path, 'r+');
  try {
    const ranges: { offset: number; length: number }[] = [];
    for (const block of chosen) {
      const offset = block * blockSize;
      await handle.write(randomBytes(blockSize), 0, blockSize, offset);
      ranges.push({ offset, length: blockSize });
    }
    return ranges;
  } finally {
    await handle.close();
  }
}

/** A readRange over a file, as the data mover would pass for a snapshot image. */
export async function fileRangeReader(path: string): Promise<{ read: (offset: number, length: number) => Promise<Buffer>; close: () => Promise<void> }> {
  const handle = await fs.open(path, 'r');
  return {
    read: async (offset, length) => {
      const buffer = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(buffer, done, length - done, offset + done);
        if (bytesRead === 0) throw new Error('short read');
        done += bytesRead;
      }
      return buffer;
    },
    close: () => handle.close(),
  };
}
