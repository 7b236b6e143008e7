import { Backend } from './backend';
import { BlockMap, ByteRange, encodeBlockMap } from './block-map';
import { writeBlocks, BlockWriteResult } from './block-writer';
import { ContentDefinedChunker } from './chunker';
import { MasterKey } from './crypto';
import { InvalidArgumentError, RepositoryError } from './errors';
import { encodeFileTree, FileTree } from './file-tree';
import { writeDirectory, writeStream, StreamWriteResult } from './file-writer';
import { BlobIndex } from './index-file';
import { RepositoryLock } from './lock';
import { BackupManifest, JsonValue, newBackupId, VolumeEntry, VolumeStats, writeManifest } from './manifest';
import { BlobType } from './pack-format';
import { PackWriter, PackWriterOptions, WriteStats } from './pack-writer';

/**
 * One backup being written. Holds the repository's shared lock from `beginBackup` until `commit`
 * or `abort`. Data goes into packs as it is written; the manifest — the only thing that makes the
 * backup exist — is written by `commit` after every pack and index is durable. An aborted or
 * crashed session leaves only unreferenced packs, which prune removes.
 */

export interface BackupSessionParts {
  backend: Backend;
  key: MasterKey;
  index: BlobIndex;
  lock: RepositoryLock;
  chunker: ContentDefinedChunker;
  blockChunkSize: number;
  packWriter: PackWriterOptions;
  loadBlockMap: (backupId: string, volume: string) => Promise<BlockMap>;
}

export interface BlockVolumeOptions {
  /** Image size now. */
  size: number;
  /** Reads bytes of the current image (a snapshot: it must not change during the backup). */
  readRange: (offset: number, length: number) => Promise<Buffer>;
  /** Backup whose same-named volume this one is incremental to. */
  parentBackupId?: string;
  /** Or the parent's block map directly. */
  parentMap?: BlockMap;
  /** Ranges changed since the parent. Omitted with a parent → everything is read and deduplicated. */
  changedRanges?: readonly ByteRange[];
  /** Holes of the image now (they read as zeros): stored without being read; see BlockWriteOptions. */
  zeroRanges?: readonly ByteRange[];
  onProgress?: (progress: { bytesRead: number; bytesTotal: number }) => void;
}

export interface CommitOptions {
  /** Opaque app metadata stored with the backup (app spec, claims, recovery point…). */
  app: JsonValue;
  /** The previous backup this one builds on (recorded for display and retention). */
  parent?: string;
  tags?: string[];
}

/** Blocks are aligned to 4 KiB (the page and filesystem block size) before they are stored. */
const BLOCK_ALIGN = 4096;
/** A 1 MiB region split into more extents than this is stored again whole. */
const MAX_EXTENTS_PER_REGION = 32;

export class BackupSession {
  private readonly writer: PackWriter;
  private readonly volumes: VolumeEntry[] = [];
  /** Per volume (same order): the new blobs written for it, as stored, and how many. */
  private readonly written: BlobsWritten[] = [];
  /** The writer's counts when the last volume was recorded: what follows belongs to the next one. */
  private mark: BlobsWritten = { bytes: 0, blobs: 0 };
  private readonly started = Date.now();
  private bytesRead = 0;
  private finished = false;

  constructor(private readonly parts: BackupSessionParts) {
    this.writer = new PackWriter(parts.backend, parts.key, parts.index, parts.packWriter);
  }

  /** Stores a stream as content-defined chunks; returns the refs (for callers that build their own trees). */
  async writeStream(source: AsyncIterable<Buffer | Uint8Array | string>): Promise<StreamWriteResult> {
    this.assertOpen();
    const result = await writeStream(this.writer, this.parts.chunker, source);
    this.bytesRead += result.size;
    return result;
  }

  /** Stores a directory tree as a `files` volume. */
  async writeDirectory(volume: string, root: string): Promise<VolumeEntry> {
    this.assertOpen();
    const result = await writeDirectory(this.writer, this.parts.chunker, root);
    this.bytesRead += result.size;
    return this.addFileVolume(volume, result.tree, {
      bytesRead: result.size,
      bytesNew: result.bytesNew,
      chunksNew: result.chunksNew,
      chunksReused: result.chunksReused,
      files: result.tree.files.filter((f) => f.type === 'file').length,
    });
  }

  /** Records a file tree built by the caller (from writeStream results) as a `files` volume. */
  async addFileVolume(volume: string, tree: FileTree, stats?: VolumeStats): Promise<VolumeEntry> {
    this.assertOpen();
    this.assertNewVolume(volume);
    const { id } = await this.writer.add(BlobType.Tree, encodeFileTree(tree));
    const size = tree.files.reduce((sum, f) => sum + (f.type === 'file' ? f.size : 0), 0);
    const entry: VolumeEntry = {
      name: volume,
      kind: 'files',
      tree: id,
      size,
      stats: stats ?? { bytesRead: 0, bytesNew: 0, chunksNew: 0, chunksReused: 0, files: tree.files.filter((f) => f.type === 'file').length },
    };
    this.record(entry);
    return entry;
  }

  /**
   * Stores a block device or image as a `blocks` volume. With a parent and changed ranges only
   * those ranges are read and stored; everything else keeps the parent's chunks.
   */
  async writeBlockVolume(volume: string, options: BlockVolumeOptions): Promise<VolumeEntry & { map: BlockMap }> {
    this.assertOpen();
    this.assertNewVolume(volume);
    const parent = options.parentMap ?? (options.parentBackupId ? await this.parts.loadBlockMap(options.parentBackupId, volume) : undefined);
    const result = await this.writeBlocks({ ...options, parent });
    const { id } = await this.writer.add(BlobType.Tree, encodeBlockMap(result.map));
    const entry: VolumeEntry = {
      name: volume,
      kind: 'blocks',
      tree: id,
      size: options.size,
      stats: { bytesRead: result.bytesRead, bytesNew: result.bytesNew, chunksNew: result.chunksNew, chunksReused: result.chunksReused },
    };
    this.record(entry);
    return { ...entry, map: result.map };
  }

  /** The block-map primitive: stores changed ranges on top of `parent` and returns the new map (not yet a volume). */
  async writeBlocks(options: Omit<BlockVolumeOptions, 'parentBackupId' | 'parentMap'> & { parent?: BlockMap }): Promise<BlockWriteResult> {
    this.assertOpen();
    const result = await writeBlocks(this.writer, options, {
      chunkSize: this.parts.blockChunkSize,
      align: BLOCK_ALIGN,
      maxExtentsPerRegion: MAX_EXTENTS_PER_REGION,
    });
    this.bytesRead += result.bytesRead;
    return result;
  }

  /** Makes all data durable, writes the manifest, releases the lock. Returns the new backup. */
  async commit(options: CommitOptions): Promise<BackupManifest> {
    this.assertOpen();
    try {
      const volumes = await this.flush();
      const stats = this.writer.stats;
      const manifest: BackupManifest = {
        formatVersion: 1,
        id: newBackupId(),
        time: new Date().toISOString(),
        parent: options.parent,
        app: options.app,
        tags: options.tags ?? [],
        volumes,
        stats: {
          bytesAdded: stats.bytesWritten,
          bytesRead: this.bytesRead,
          bytesNew: volumes.reduce((sum, v) => sum + v.stats.bytesNew, 0),
          bytesStored: stats.bytesWritten,
          chunksNew: stats.blobsNew,
          chunksReused: stats.blobsReused,
          durationMs: Date.now() - this.started,
        },
      };
      // Adds the manifest's own size to bytesStored (and bytesAdded).
      await writeManifest(this.parts.backend, this.parts.key, manifest);
      return manifest;
    } finally {
      this.finished = true;
      await this.parts.lock.release();
    }
  }

  /**
   * Ends the session without a manifest: every pack and index is made durable, the lock released, and
   * the volume entries returned, with what each stored (`stats.bytesStored`). For a data mover that
   * writes some volumes of a backup whose manifest another process commits (Repository.commitManifest);
   * that process must hold its own shared lock from before this session began until the manifest is
   * written, so prune cannot reclaim these packs in between.
   */
  async finishVolumes(): Promise<VolumeEntry[]> {
    this.assertOpen();
    try {
      return await this.flush();
    } finally {
      this.finished = true;
      await this.parts.lock.release();
    }
  }

  /** Gives up: what was written stays unreferenced until prune. */
  async abort(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.writer.flush().catch(() => undefined);
    await this.parts.lock.release();
  }

  /** Records a volume with the blobs written since the previous one (its data and its tree). */
  private record(entry: VolumeEntry): void {
    const { storedBytesNew, blobsNew } = this.writer.stats;
    this.written.push({ bytes: storedBytesNew - this.mark.bytes, blobs: blobsNew - this.mark.blobs });
    this.mark = { bytes: storedBytesNew, blobs: blobsNew };
    this.volumes.push(entry);
  }

  /** Makes everything durable; returns the volumes with what each stored on disk. */
  private async flush(): Promise<VolumeEntry[]> {
    await this.writer.flush();
    const stored = storedPerVolume(this.written, this.writer.stats);
    return this.volumes.map((v, i) => ({ ...v, stats: { ...v.stats, bytesStored: stored[i] } }));
  }

  private assertOpen(): void {
    if (this.finished) throw new RepositoryError('this backup session is already committed or aborted');
  }

  private assertNewVolume(volume: string): void {
    if (!volume || this.volumes.some((v) => v.name === volume))
      throw new InvalidArgumentError(`volume name ${JSON.stringify(volume)} is empty or already used in this backup`);
  }
}

interface BlobsWritten {
  /** Bytes as stored in packs (compressed and sealed). */
  bytes: number;
  blobs: number;
}

/**
 * Splits what a session wrote among its volumes: each its own blobs as stored, plus a share of the
 * rest — pack headers and trailers, index files — in proportion to its number of new blobs (each blob
 * has one entry in its pack's header and one in an index). With every blob in some volume the shares
 * add up to exactly the bytes written; blobs written after the last volume keep their share to
 * themselves (they are in the backup's total only).
 */
export function storedPerVolume(volumes: readonly BlobsWritten[], stats: Pick<WriteStats, 'bytesWritten' | 'storedBytesNew' | 'blobsNew'>): number[] {
  const overhead = stats.bytesWritten - stats.storedBytesNew;
  let blobsBefore = 0;
  return volumes.map((v) => {
    // Rounded on the running total, so the rounding errors do not add up.
    const share = (blobs: number) => (stats.blobsNew === 0 ? 0 : Math.round((overhead * blobs) / stats.blobsNew));
    const bytes = v.bytes + share(blobsBefore + v.blobs) - share(blobsBefore);
    blobsBefore += v.blobs;
    return bytes;
  });
}
