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
import { PackWriter, PackWriterOptions } from './pack-writer';

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
    this.volumes.push(entry);
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
    this.volumes.push(entry);
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
      await this.writer.flush();
      const stats = this.writer.stats;
      const manifest: BackupManifest = {
        formatVersion: 1,
        id: newBackupId(),
        time: new Date().toISOString(),
        parent: options.parent,
        app: options.app,
        tags: options.tags ?? [],
        volumes: this.volumes,
        stats: {
          bytesAdded: stats.bytesWritten,
          bytesRead: this.bytesRead,
          chunksNew: stats.blobsNew,
          chunksReused: stats.blobsReused,
          durationMs: Date.now() - this.started,
        },
      };
      const manifestBytes = await writeManifest(this.parts.backend, this.parts.key, { ...manifest, stats: { ...manifest.stats } });
      manifest.stats.bytesAdded += manifestBytes;
      return manifest;
    } finally {
      this.finished = true;
      await this.parts.lock.release();
    }
  }

  /**
   * Ends the session without a manifest: every pack and index is made durable, the lock released, and
   * the volume entries returned. For a data mover that writes some volumes of a backup whose manifest
   * another process commits (Repository.commitManifest); that process must hold its own shared lock
   * from before this session began until the manifest is written, so prune cannot reclaim these packs
   * in between.
   */
  async finishVolumes(): Promise<VolumeEntry[]> {
    this.assertOpen();
    try {
      await this.writer.flush();
      return [...this.volumes];
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

  private assertOpen(): void {
    if (this.finished) throw new RepositoryError('this backup session is already committed or aborted');
  }

  private assertNewVolume(volume: string): void {
    if (!volume || this.volumes.some((v) => v.name === volume))
      throw new InvalidArgumentError(`volume name ${JSON.stringify(volume)} is empty or already used in this backup`);
  }
}
