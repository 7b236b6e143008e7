/**
 * A filesystem volume as a list of entries with their data as chunk refs. Stored (JSON, compressed,
 * sealed) as one tree blob per volume per backup; identical trees deduplicate like any blob.
 */

export interface ChunkRef {
  /** Hex id of the data blob. */
  id: string;
  /** Plaintext length of the chunk. */
  length: number;
}

export type FileType = 'file' | 'directory' | 'symlink';

export interface FileNode {
  /** Path relative to the volume root, with forward slashes, no leading slash. */
  path: string;
  type: FileType;
  mode: number;
  mtimeMs: number;
  uid?: number;
  gid?: number;
  /** Regular files: total bytes; others 0. */
  size: number;
  /** Regular files: the content in order. */
  chunks?: ChunkRef[];
  /** Symlinks: the link target. */
  target?: string;
  /** Inode number at backup time: lets an incremental backup prove a file is the same one (optional). */
  ino?: number;
}

export interface FileTree {
  files: FileNode[];
}

const TREE_FORMAT = 'berth-file-tree-1';

export function encodeFileTree(tree: FileTree): Buffer {
  return Buffer.from(JSON.stringify({ format: TREE_FORMAT, files: tree.files }));
}

export function decodeFileTree(data: Buffer): FileTree {
  const parsed = JSON.parse(data.toString('utf8')) as { format?: unknown; files?: unknown };
  if (parsed.format !== TREE_FORMAT || !Array.isArray(parsed.files)) throw new Error('not a file tree');
  return { files: parsed.files as FileNode[] };
}

export function chunksOfTree(tree: FileTree): Set<string> {
  const ids = new Set<string>();
  for (const file of tree.files) for (const chunk of file.chunks ?? []) ids.add(chunk.id);
  return ids;
}
