import { createReadStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { BackupSession, FileNode, FileTree, VolumeEntry } from '../repository';

export interface DirectoryBackupOptions {
  /** The parent backup's tree of the same volume: unchanged files reuse its chunks without being read. */
  parent?: FileTree;
  /** Inodes with extents written since the parent (btrfs); when given, a listed file is always re-read. */
  changedInodes?: ReadonlySet<number>;
  onProgress?: (p: { bytesDone: number; bytesTotal: number; filesDone: number }) => void;
}

interface Walked {
  path: string;
  full: string;
  stat: import('node:fs').Stats;
}

/** Every entry under `root` (not following symlinks), sorted by path; sockets, fifos and devices hold no data and are skipped. */
async function walk(root: string): Promise<Walked[]> {
  const out: Walked[] = [];
  const visit = async (relative: string): Promise<void> => {
    const entries = (await fs.readdir(join(root, relative), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      const full = join(root, path);
      const stat = await fs.lstat(full);
      if (!stat.isDirectory() && !stat.isSymbolicLink() && !stat.isFile()) continue;
      out.push({ path, full, stat });
      if (stat.isDirectory()) await visit(path);
    }
  };
  await visit('');
  return out;
}

/**
 * Stores a directory (a read-only snapshot) as a `files` volume. Incremental against `parent`: a
 * regular file with the same path, inode, size and mtime as in the parent — and, on btrfs, no extent
 * written since the parent's generation — keeps the parent's chunk refs and is not read at all.
 * Metadata always comes from the walk, so a chmod, rename or delete is reflected. Anything that
 * cannot be proven unchanged is read (correctness first; the repository deduplicates it anyway).
 */
export async function backupDirectory(session: BackupSession, volume: string, root: string, options: DirectoryBackupOptions = {}): Promise<VolumeEntry> {
  const entries = await walk(root);
  const parentByPath = new Map((options.parent?.files ?? []).map((f) => [f.path, f] as const));
  const bytesTotal = entries.reduce((a, e) => a + (e.stat.isFile() ? e.stat.size : 0), 0);
  let bytesDone = 0;
  let filesDone = 0;
  let bytesRead = 0;
  let bytesNew = 0;
  let chunksNew = 0;
  let chunksReused = 0;
  const files: FileNode[] = [];
  const report = () => options.onProgress?.({ bytesDone, bytesTotal, filesDone });
  for (const { path, full, stat } of entries) {
    const common = { path, mode: stat.mode & 0o7777, mtimeMs: stat.mtimeMs, uid: stat.uid, gid: stat.gid };
    if (stat.isDirectory()) {
      files.push({ ...common, type: 'directory', size: 0 });
      continue;
    }
    if (stat.isSymbolicLink()) {
      files.push({ ...common, type: 'symlink', size: 0, target: await fs.readlink(full) });
      continue;
    }
    const before = parentByPath.get(path);
    const unchanged =
      before?.type === 'file' &&
      before.chunks !== undefined &&
      before.ino === stat.ino &&
      before.size === stat.size &&
      before.mtimeMs === stat.mtimeMs &&
      !(options.changedInodes?.has(stat.ino) ?? false);
    if (unchanged) {
      files.push({ ...common, type: 'file', size: stat.size, chunks: before.chunks, ino: stat.ino });
      chunksReused += before.chunks!.length;
    } else {
      const stored = await session.writeStream(createReadStream(full, { highWaterMark: 1 << 20 }));
      files.push({ ...common, type: 'file', size: stored.size, chunks: stored.chunks, ino: stat.ino });
      bytesRead += stored.size;
      bytesNew += stored.bytesNew;
      chunksNew += stored.chunksNew;
      chunksReused += stored.chunksReused;
    }
    bytesDone += stat.size;
    filesDone++;
    report();
  }
  return session.addFileVolume(volume, { files }, { bytesRead, bytesNew, chunksNew, chunksReused, files: filesDone });
}

/**
 * Removes from `root` every entry the tree does not have, so a restore into a volume a crashed
 * restore had partly written (or into a non-empty volume) ends with exactly the backed-up tree.
 */
export async function removeEntriesNotIn(root: string, tree: FileTree): Promise<void> {
  const wanted = new Map(tree.files.map((f) => [f.path, f.type] as const));
  for (const { path, full, stat } of (await walk(root)).reverse()) {
    if (path === 'lost+found') continue; // the filesystem's own (ext4, xfs): not ours to remove
    const type = stat.isDirectory() ? 'directory' : stat.isSymbolicLink() ? 'symlink' : 'file';
    if (wanted.get(path) !== type) await fs.rm(full, { recursive: true, force: true });
  }
}
