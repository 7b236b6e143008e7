import { Backend } from './backend';
import { decodeBlockMap } from './block-map';
import { MasterKey } from './crypto';
import { RepositoryError } from './errors';
import { chunksOfTree, decodeFileTree } from './file-tree';
import { BlobIndex, IndexedPack, writeIndexFile } from './index-file';
import { removeStaleLocks } from './lock';
import { BackupManifest, listManifestIds, readManifest } from './manifest';
import { BlobEntry, packIdFromObjectName, packObjectName } from './pack-format';
import { BlobReader, openBlob } from './pack-reader';
import { PackWriter, PackWriterOptions } from './pack-writer';

/**
 * `repo prune`: removes blobs no backup references. Runs under the exclusive lock (lock.ts), so no
 * backup or restore is active; the order of steps keeps every instant crash-safe:
 *
 *   1. mark: read every manifest and every tree it names → the set of used blob ids. If any
 *      manifest or tree cannot be read, stop without deleting anything (we cannot know what it uses);
 *   2. plan per indexed pack: fully unused → delete; partly unused beyond `maxUnusedFraction` →
 *      repack (its used blobs are verified and copied into new packs); otherwise keep;
 *   3. write the repacked blobs' packs and their index (durable before anything is removed);
 *   4. write one new index covering every kept pack, then delete the old index files
 *      (between 3–4 and this point two indexes may list a blob: harmless, either copy is good);
 *   5. delete unused and repacked packs, packs no index listed (crashed writers' leftovers), old
 *      temporary files and stale locks.
 *
 * A crash at any point leaves a repository whose indexes only point at existing packs; garbage
 * that survives is removed by the next prune.
 */

export interface PruneOptions {
  /** Repack a pack when more than this fraction of its bytes is unused (default 0.2). */
  maxUnusedFraction: number;
  /** Wait this long for running backups/restores to finish before giving up. */
  lockWaitMs: number;
  /** Only report what would be done. */
  dryRun: boolean;
}

export const DEFAULT_PRUNE: PruneOptions = { maxUnusedFraction: 0.2, lockWaitMs: 0, dryRun: false };

export interface PruneReport {
  blobsUsed: number;
  blobsRemoved: number;
  packsDeleted: number;
  packsRepacked: number;
  packsWritten: number;
  /** Packs on disk that no index listed (interrupted writers), deleted. */
  unindexedPacksDeleted: number;
  indexFilesReplaced: number;
  bytesBefore: number;
  bytesAfter: number;
  /** Referenced blobs not found anywhere: the repository was already damaged (run check). */
  missingBlobs: number;
}

export async function pruneRepository(backend: Backend, key: MasterKey, packWriter: PackWriterOptions, overrides: Partial<PruneOptions>): Promise<PruneReport> {
  const options = { ...DEFAULT_PRUNE, ...overrides };
  const index = await BlobIndex.load(backend, key);
  const report: PruneReport = {
    blobsUsed: 0,
    blobsRemoved: 0,
    packsDeleted: 0,
    packsRepacked: 0,
    packsWritten: 0,
    unindexedPacksDeleted: 0,
    indexFilesReplaced: 0,
    bytesBefore: await dataBytes(backend),
    bytesAfter: 0,
    missingBlobs: 0,
  };

  // 1. Mark.
  const used = new Set<string>();
  const reader = new BlobReader(backend, key, index);
  for (const backupId of await listManifestIds(backend)) {
    let manifest: BackupManifest;
    try {
      manifest = await readManifest(backend, key, backupId);
    } catch (error) {
      throw new RepositoryError(
        `prune stopped before deleting anything: backup ${backupId} is unreadable (${(error as Error).message}); run check`,
        'repository_corrupt',
      );
    }
    for (const volume of manifest.volumes) {
      used.add(volume.tree);
      let tree: Buffer;
      try {
        tree = await reader.read(volume.tree);
      } catch (error) {
        throw new RepositoryError(
          `prune stopped before deleting anything: the tree of backup ${backupId} volume ${volume.name} is unreadable (${(error as Error).message}); run check`,
          'repository_corrupt',
        );
      }
      const chunks = volume.kind === 'files' ? chunksOfTree(decodeFileTree(tree)) : new Set(decodeBlockMap(tree).extents.map((e) => e.chunk));
      for (const chunk of chunks) used.add(chunk);
    }
  }
  report.blobsUsed = used.size;
  for (const id of used) if (!index.has(id)) report.missingBlobs++;

  // 2. Plan.
  const keep: IndexedPack[] = [];
  const repack: IndexedPack[] = [];
  const drop: string[] = [];
  const copied = new Set<string>(); // a blob held by several packs is kept or copied once
  for (const packId of index.packIds()) {
    const entries = index.packEntries(packId)!;
    let usedBytes = 0;
    let totalBytes = 0;
    for (const entry of entries) {
      totalBytes += entry.length;
      if (used.has(entry.id.toString('hex'))) usedBytes += entry.length;
    }
    if (usedBytes === 0) drop.push(packId);
    else if ((totalBytes - usedBytes) / totalBytes > options.maxUnusedFraction) repack.push({ packId, entries });
    else {
      keep.push({ packId, entries });
      for (const entry of entries) copied.add(entry.id.toString('hex'));
    }
  }
  const indexedPacks = new Set(index.packIds());
  const unindexed = (await backend.list('data')).filter((name) => {
    const packId = packIdFromObjectName(name);
    return packId !== undefined && !indexedPacks.has(packId);
  });
  for (const pack of [...drop.map((id) => index.packEntries(id)!), ...repack.map((p) => p.entries)]) {
    for (const entry of pack) if (!used.has(entry.id.toString('hex'))) report.blobsRemoved++;
  }
  report.packsDeleted = drop.length;
  report.packsRepacked = repack.length;
  report.unindexedPacksDeleted = unindexed.length;
  if (options.dryRun) {
    report.bytesAfter = report.bytesBefore;
    return report;
  }

  // 3. Repack the used blobs of partly used packs (verified on the way: a damaged blob is not copied).
  const keptIndex = new BlobIndex();
  for (const pack of keep) keptIndex.add(pack);
  const writer = new PackWriter(backend, key, keptIndex, { ...packWriter, packsPerIndex: Number.MAX_SAFE_INTEGER });
  for (const pack of repack) {
    const bytes = await backend.read(packObjectName(pack.packId));
    for (const entry of pack.entries) {
      const id = entry.id.toString('hex');
      if (!used.has(id) || copied.has(id)) continue;
      const plaintext = openBlobOrThrow(entry, bytes, key, pack.packId);
      await writer.add(entry.type, plaintext, id);
      copied.add(id);
    }
  }
  await writer.flush();
  report.packsWritten = writer.stats.packsWritten;
  const repackIndexFiles = new Set(keptIndex.files);

  // 4. One index for the kept packs, then the old index files go.
  const oldIndexFiles = [...index.files];
  if (keep.length > 0) repackIndexFiles.add(await writeIndexFile(backend, key, keep));
  for (const name of oldIndexFiles) {
    if (repackIndexFiles.has(name)) continue;
    await backend.delete(name);
    report.indexFilesReplaced++;
  }

  // 5. Garbage.
  for (const packId of [...drop, ...repack.map((p) => p.packId)]) await backend.delete(packObjectName(packId));
  for (const name of unindexed) await backend.delete(name);
  await backend.removeTemporary(60 * 60_000);
  await removeStaleLocks(backend);

  report.bytesAfter = await dataBytes(backend);
  return report;
}

function openBlobOrThrow(entry: BlobEntry, packBytes: Buffer, key: MasterKey, packId: string): Buffer {
  try {
    return openBlob(key, entry, packBytes.subarray(entry.offset, entry.offset + entry.length), true);
  } catch (error) {
    throw new RepositoryError(
      `prune stopped: blob ${entry.id.toString('hex').slice(0, 16)} in ${packObjectName(packId)}, still used by a backup, is damaged (${(error as Error).message}); nothing was deleted, run check`,
      'repository_corrupt',
    );
  }
}

async function dataBytes(backend: Backend): Promise<number> {
  let total = 0;
  for (const prefix of ['data', 'index', 'manifests']) {
    for (const name of await backend.list(prefix)) total += (await backend.size(name)) ?? 0;
  }
  return total;
}
