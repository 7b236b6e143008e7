import { createReadStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { ContentDefinedChunker } from './chunker';
import { ChunkRef, FileNode, FileTree } from './file-tree';
import { BlobType } from './pack-format';
import { PackWriter } from './pack-writer';

/**
 * Writes files and streams into the repository as content-defined chunks, and whole directory
 * trees as a FileTree. Every chunk goes through the pack writer, which deduplicates against the
 * index (an unchanged file costs its read and hashing, nothing stored).
 */

export interface StreamWriteResult {
  chunks: ChunkRef[];
  size: number;
  bytesNew: number;
  chunksNew: number;
  chunksReused: number;
}

export async function writeStream(
  writer: PackWriter,
  chunker: ContentDefinedChunker,
  source: AsyncIterable<Buffer | Uint8Array | string>,
  onBytes?: (bytes: number) => void,
): Promise<StreamWriteResult> {
  const result: StreamWriteResult = { chunks: [], size: 0, bytesNew: 0, chunksNew: 0, chunksReused: 0 };
  for await (const chunk of chunker.chunks(source)) {
    const { id, isNew } = await writer.add(BlobType.Data, chunk);
    result.chunks.push({ id, length: chunk.length });
    result.size += chunk.length;
    if (isNew) {
      result.chunksNew++;
      result.bytesNew += chunk.length;
    } else {
      result.chunksReused++;
    }
    onBytes?.(chunk.length);
  }
  return result;
}

export interface TreeWriteResult {
  tree: FileTree;
  size: number;
  bytesNew: number;
  chunksNew: number;
  chunksReused: number;
}

/** Walks `root` (not following symlinks) and stores every regular file; entries sorted by path. */
export async function writeDirectory(
  writer: PackWriter,
  chunker: ContentDefinedChunker,
  root: string,
  onBytes?: (bytes: number) => void,
): Promise<TreeWriteResult> {
  const result: TreeWriteResult = { tree: { files: [] }, size: 0, bytesNew: 0, chunksNew: 0, chunksReused: 0 };
  const walk = async (relative: string): Promise<void> => {
    const entries = (await fs.readdir(join(root, relative), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      const full = join(root, path);
      const stat = await fs.lstat(full);
      const common = { path, mode: stat.mode & 0o7777, mtimeMs: stat.mtimeMs, uid: stat.uid, gid: stat.gid };
      if (stat.isDirectory()) {
        result.tree.files.push({ ...common, type: 'directory', size: 0 });
        await walk(path);
      } else if (stat.isSymbolicLink()) {
        result.tree.files.push({ ...common, type: 'symlink', size: 0, target: await fs.readlink(full) });
      } else if (stat.isFile()) {
        const stored = await writeStream(writer, chunker, createReadStream(full, { highWaterMark: 1 << 20 }), onBytes);
        const node: FileNode = { ...common, type: 'file', size: stored.size, chunks: stored.chunks };
        result.tree.files.push(node);
        result.size += stored.size;
        result.bytesNew += stored.bytesNew;
        result.chunksNew += stored.chunksNew;
        result.chunksReused += stored.chunksReused;
      }
      // Sockets, fifos and device nodes are skipped: they hold no data to back up.
    }
  };
  await walk('');
  return result;
}
