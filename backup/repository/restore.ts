import { promises as fs } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { BlockMap } from './block-map';
import { BlobUnreadableError, DamagedChunkError } from './errors';
import { FileNode, FileTree } from './file-tree';
import { BlobReader } from './pack-reader';

/**
 * Reading volumes back. Every chunk is verified by the reader (GCM, length, HMAC id); a chunk that
 * fails becomes a DamagedChunkError naming the backup, volume and file (or image offset), so the
 * caller can say exactly what could not be restored.
 */

export interface RestoreContext {
  backupId: string;
  volume: string;
  /** Called with each piece's size as it is written (progress of a long restore). */
  onBytes?: (bytes: number) => void;
}

/**
 * Starts writeback while a restore still runs: every `SYNC_EVERY` bytes a datasync is issued in the
 * background (one at a time), so the disk writes while the next chunks are read and decrypted,
 * instead of the whole restore sitting in the page cache until one long fsync at the end.
 */
const SYNC_EVERY = 64 * 1024 * 1024;

class SyncPacer {
  private sinceSync = 0;
  private running: Promise<void> | undefined;

  constructor(private readonly handle: fs.FileHandle) {}

  wrote(bytes: number): void {
    this.sinceSync += bytes;
    if (this.sinceSync < SYNC_EVERY || this.running) return;
    this.sinceSync = 0;
    this.running = this.handle.datasync().finally(() => {
      this.running = undefined;
    });
    this.running.catch(() => undefined); // the final sync reports errors
  }

  async finish(): Promise<void> {
    await this.running?.catch(() => undefined);
    await this.handle.sync();
  }
}

function damaged(error: unknown, chunkId: string, where: RestoreContext & { file?: string; offset?: number }): unknown {
  if (error instanceof BlobUnreadableError) return new DamagedChunkError(chunkId, error.pack, where, error.detail);
  return error;
}

/** The plaintext of one file, chunk by chunk. */
export async function* readFile(reader: BlobReader, node: FileNode, context: RestoreContext): AsyncGenerator<Buffer> {
  const chunks = node.chunks ?? [];
  const ids = chunks.map((chunk) => chunk.id);
  let index = 0;
  let offset = 0;
  try {
    for await (const { data } of reader.readInOrder(ids)) {
      yield data;
      offset += chunks[index].length;
      index++;
    }
  } catch (error) {
    throw damaged(error, ids[index] ?? '', { ...context, file: node.path, offset });
  }
}

/** Restores one file to `destination` (created or truncated), fsynced, with mode and mtime. */
export async function restoreFile(reader: BlobReader, node: FileNode, destination: string, context: RestoreContext): Promise<number> {
  const handle = await fs.open(destination, 'w', node.mode & 0o7777 || 0o644);
  let written = 0;
  const pacer = new SyncPacer(handle);
  try {
    for await (const data of readFile(reader, node, context)) {
      await handle.write(data, 0, data.length, written);
      written += data.length;
      pacer.wrote(data.length);
      context.onBytes?.(data.length);
    }
    await pacer.finish();
  } finally {
    await handle.close();
  }
  await fs.utimes(destination, new Date(node.mtimeMs), new Date(node.mtimeMs)).catch(() => undefined);
  return written;
}

/** Restores a whole file tree under `root`. Ownership is restored when running as root. */
export async function restoreTree(reader: BlobReader, tree: FileTree, root: string, context: RestoreContext): Promise<{ files: number; bytes: number }> {
  await fs.mkdir(root, { recursive: true });
  let files = 0;
  let bytes = 0;
  const directories: FileNode[] = [];
  for (const node of tree.files) {
    const target = join(root, ...node.path.split('/'));
    // Never write outside the restore root (a bare prefix test would let ../t2/x through for root /data/t).
    if (target !== root && !target.startsWith(root.endsWith(sep) ? root : root + sep)) continue;
    await fs.mkdir(dirname(target), { recursive: true });
    if (node.type === 'directory') {
      await fs.mkdir(target, { recursive: true, mode: node.mode });
      directories.push(node);
    } else if (node.type === 'symlink') {
      await fs.rm(target, { force: true });
      await fs.symlink(node.target ?? '', target);
    } else {
      bytes += await restoreFile(reader, node, target, context);
      files++;
    }
    if (process.getuid?.() === 0 && node.uid !== undefined && node.gid !== undefined) {
      await fs.lchown(target, node.uid, node.gid).catch(() => undefined);
    }
  }
  // Directory modes and times last: writing files into them would change their mtimes.
  for (const node of directories.reverse()) {
    const target = join(root, ...node.path.split('/'));
    await fs.chmod(target, node.mode).catch(() => undefined);
    await fs.utimes(target, new Date(node.mtimeMs), new Date(node.mtimeMs)).catch(() => undefined);
  }
  return { files, bytes };
}

/**
 * The image described by a block map, as (offset, bytes) pieces in order. Each chunk is read and
 * verified once even when overrides split it into several extents: a chunk stays cached until its
 * last extent has been yielded.
 */
export async function* readBlocks(reader: BlobReader, map: BlockMap, context: RestoreContext): AsyncGenerator<{ offset: number; data: Buffer }> {
  const lastUse = new Map<string, number>();
  const firstAppearance: string[] = [];
  map.extents.forEach((extent, i) => {
    if (!lastUse.has(extent.chunk)) firstAppearance.push(extent.chunk);
    lastUse.set(extent.chunk, i);
  });
  const cache = new Map<string, Buffer>();
  const blobs = reader.readInOrder(firstAppearance);
  let offset = 0;
  for (let i = 0; i < map.extents.length; i++) {
    const extent = map.extents[i];
    let data = cache.get(extent.chunk);
    if (!data) {
      try {
        const next = await blobs.next();
        if (next.done) throw new Error('block map reader ran out of chunks');
        data = next.value.data;
      } catch (error) {
        throw damaged(error, extent.chunk, { ...context, offset });
      }
      cache.set(extent.chunk, data);
    }
    if (extent.chunkOffset + extent.length > data.length) {
      throw new DamagedChunkError(
        extent.chunk,
        undefined,
        { ...context, offset },
        `is ${data.length} bytes, the block map needs ${extent.chunkOffset + extent.length}`,
      );
    }
    yield { offset, data: data.subarray(extent.chunkOffset, extent.chunkOffset + extent.length) };
    if (lastUse.get(extent.chunk) === i) cache.delete(extent.chunk);
    offset += extent.length;
  }
}

/**
 * Writes an image into a file or block device at `destination`. A regular file is created (or
 * truncated) and sized; a device is written in place. Fsynced before returning.
 */
export async function restoreBlocksToFile(reader: BlobReader, map: BlockMap, destination: string, context: RestoreContext): Promise<number> {
  const existing = await fs.stat(destination).catch(() => undefined);
  const isDevice = existing?.isBlockDevice() ?? false;
  const handle = await fs.open(destination, isDevice ? 'r+' : 'w');
  let written = 0;
  try {
    if (!isDevice) await handle.truncate(map.size);
    // Keep a few writes in flight so the disk works while the next chunk is decrypted.
    const inFlight: Promise<unknown>[] = [];
    const pacer = new SyncPacer(handle);
    for await (const { offset, data } of readBlocks(reader, map, context)) {
      if (inFlight.length >= 4) await inFlight.shift();
      inFlight.push(handle.write(data, 0, data.length, offset));
      written += data.length;
      pacer.wrote(data.length);
      context.onBytes?.(data.length);
    }
    await Promise.all(inFlight);
    await pacer.finish();
  } finally {
    await handle.close();
  }
  return written;
}
