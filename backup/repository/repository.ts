import { promises as fs } from 'node:fs';
import { Backend } from './backend';
import { BlockMap, decodeBlockMap } from './block-map';
import { BackupSession, CommitOptions } from './backup-session';
import { checkRepository, CheckReport } from './check';
import { ChunkerOptions, ContentDefinedChunker, gearTable } from './chunker';
import { MasterKey } from './crypto';
import { InvalidArgumentError, BlobUnreadableError, DamagedChunkError } from './errors';
import { decodeFileTree, FileNode, FileTree } from './file-tree';
import { BlobIndex } from './index-file';
import { initRepositoryKeys, openRepositoryKeys, RepositoryConfig } from './key-file';
import { LocalBackend } from './local-backend';
import { RepositoryLock } from './lock';
import { BackupManifest, listManifestIds, manifestObjectName, newBackupId, readManifest, VolumeEntry, writeManifest } from './manifest';
import { BlobReader } from './pack-reader';
import { DEFAULT_PACK_WRITER, PackWriterOptions } from './pack-writer';
import { pruneRepository, PruneOptions, PruneReport } from './prune';
import { readBlocks, readFile, restoreBlocksToFile, RestoreContext, restoreTree } from './restore';

/**
 * A Berth backup repository: the entry point of this library.
 *
 *   const repo = await Repository.init('/backups/main', passphrase);    // or Repository.open
 *   const session = await repo.beginBackup();
 *   await session.writeDirectory('data', '/path/to/snapshot');
 *   await session.writeBlockVolume('disk', { size, readRange, parentBackupId, changedRanges });
 *   const backup = await session.commit({ app: { ... } });
 *   await repo.restoreVolume(backup.id, 'data', '/restore/here');
 *   const report = await repo.check();   await repo.prune();
 *
 * Locking (see lock.ts): backups, restores and check hold a shared lock while they run, prune an
 * exclusive one, so prune never removes data a running backup or restore depends on.
 */

export interface RepositoryOptions {
  /** Pack size and write concurrency (tests use small packs to exercise many). */
  packWriter?: Partial<PackWriterOptions>;
  /** How long to wait for a conflicting lock before failing with RepositoryLockedError (default 0). */
  lockWaitMs?: number;
  /** Only for init: chunker and block sizes stored in the config. */
  chunker?: ChunkerOptions;
  blockChunkSize?: number;
}

export class Repository {
  private index: BlobIndex;

  private constructor(
    readonly backend: Backend,
    private readonly key: MasterKey,
    readonly config: RepositoryConfig,
    index: BlobIndex,
    private readonly options: RepositoryOptions,
  ) {
    this.index = index;
  }

  /** Creates a repository; fails with RepositoryExistsError if one is there. */
  static async init(location: string | Backend, passphrase: string, options: RepositoryOptions = {}): Promise<Repository> {
    const backend = typeof location === 'string' ? new LocalBackend(location) : location;
    if (typeof location === 'string') await fs.mkdir(location, { recursive: true, mode: 0o700 });
    const { key, config } = await initRepositoryKeys(backend, passphrase, { chunker: options.chunker, blockChunkSize: options.blockChunkSize });
    return new Repository(backend, key, config, new BlobIndex(), options);
  }

  /** Opens a repository: RepositoryNotFoundError, WrongPassphraseError, UnsupportedFormatError. */
  static async open(location: string | Backend, passphrase: string, options: RepositoryOptions = {}): Promise<Repository> {
    const backend = typeof location === 'string' ? new LocalBackend(location) : location;
    const { key, config } = await openRepositoryKeys(backend, passphrase);
    const index = await BlobIndex.load(backend, key);
    return new Repository(backend, key, config, index, options);
  }

  get id(): string {
    return this.config.repositoryId;
  }

  get location(): string {
    return this.backend.location;
  }

  /** Starts a backup under a shared lock. Commit or abort it. */
  async beginBackup(): Promise<BackupSession> {
    const lock = await RepositoryLock.acquire(this.backend, 'shared', 'backup', this.options.lockWaitMs ?? 0);
    try {
      await this.syncIndex();
    } catch (error) {
      await lock.release();
      throw error;
    }
    return new BackupSession({
      backend: this.backend,
      key: this.key,
      index: this.index,
      lock,
      chunker: new ContentDefinedChunker(gearTable(this.key.idKey), this.config.chunker),
      blockChunkSize: this.config.blockChunkSize,
      packWriter: { ...DEFAULT_PACK_WRITER, ...this.options.packWriter },
      loadBlockMap: (backupId, volume) => this.readBlockMap(backupId, volume),
    });
  }

  /**
   * Takes a shared lock and keeps it until released: a coordinator whose data movers write volumes in
   * their own sessions (BackupSession.finishVolumes) holds it from before they start until
   * commitManifest, so a prune in between cannot remove their still-unreferenced packs.
   */
  async holdSharedLock(purpose: string): Promise<RepositoryLock> {
    return RepositoryLock.acquire(this.backend, 'shared', purpose, this.options.lockWaitMs ?? 0);
  }

  /**
   * Writes the manifest of a backup whose volumes were stored by other sessions. Every volume's tree
   * must be in the index (written and flushed), else nothing is written. `id` may be chosen up front
   * (newBackupId()) so the caller can record it before the manifest exists.
   */
  async commitManifest(options: CommitOptions & { volumes: VolumeEntry[]; id?: string; startedAt?: number }): Promise<BackupManifest> {
    await this.syncIndex();
    const names = new Set<string>();
    for (const v of options.volumes) {
      if (names.has(v.name)) throw new InvalidArgumentError(`volume ${v.name} appears twice`);
      names.add(v.name);
      if (!this.index.has(v.tree))
        throw new InvalidArgumentError(`volume ${v.name}: its tree ${v.tree.slice(0, 12)}… is not in the repository (was its session finished?)`);
    }
    const sum = (f: (v: VolumeEntry) => number) => options.volumes.reduce((a, v) => a + f(v), 0);
    // Each session reported what it stored; a volume from a mover that did not leaves the total unknown.
    const stored = options.volumes.every((v) => v.stats.bytesStored !== undefined) ? sum((v) => v.stats.bytesStored ?? 0) : undefined;
    const bytesNew = sum((v) => v.stats.bytesNew);
    const manifest: BackupManifest = {
      formatVersion: 1,
      id: options.id ?? newBackupId(),
      time: new Date().toISOString(),
      parent: options.parent,
      app: options.app,
      tags: options.tags ?? [],
      volumes: options.volumes,
      stats: {
        bytesAdded: stored ?? bytesNew,
        bytesRead: sum((v) => v.stats.bytesRead),
        bytesNew,
        ...(stored === undefined ? {} : { bytesStored: stored }),
        chunksNew: sum((v) => v.stats.chunksNew),
        chunksReused: sum((v) => v.stats.chunksReused),
        durationMs: options.startedAt ? Date.now() - options.startedAt : 0,
      },
    };
    manifestObjectName(manifest.id); // validates a caller-chosen id
    if ((await this.backend.size(manifestObjectName(manifest.id))) !== undefined) throw new InvalidArgumentError(`backup ${manifest.id} already exists`);
    // With bytesStored known, writeManifest adds its own size to it (and to bytesAdded).
    const manifestBytes = await writeManifest(this.backend, this.key, manifest);
    if (stored === undefined) manifest.stats.bytesAdded += manifestBytes;
    return manifest;
  }

  /** Every backup, oldest first. */
  async listBackups(): Promise<BackupManifest[]> {
    const manifests: BackupManifest[] = [];
    for (const id of await listManifestIds(this.backend)) manifests.push(await readManifest(this.backend, this.key, id));
    return manifests.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  }

  /** The ids of every backup, without opening any manifest. */
  listBackupIds(): Promise<string[]> {
    return listManifestIds(this.backend);
  }

  /** BackupNotFoundError if there is no such backup. */
  getBackup(id: string): Promise<BackupManifest> {
    return readManifest(this.backend, this.key, id);
  }

  /** Removes the backup's manifest; its data is reclaimed by the next prune. */
  async deleteBackup(id: string): Promise<void> {
    await readManifest(this.backend, this.key, id); // BackupNotFoundError for unknown ids
    await this.backend.delete(manifestObjectName(id));
  }

  async readFileTree(backupId: string, volume: string): Promise<FileTree> {
    const entry = await this.volumeOf(backupId, volume, 'files');
    return decodeFileTree(await this.readTree(entry, backupId));
  }

  async readBlockMap(backupId: string, volume: string): Promise<BlockMap> {
    const entry = await this.volumeOf(backupId, volume, 'blocks');
    return decodeBlockMap(await this.readTree(entry, backupId));
  }

  /** One file's bytes, verified chunk by chunk. */
  async *readFile(backupId: string, volume: string, path: string): AsyncGenerator<Buffer> {
    const node = (await this.readFileTree(backupId, volume)).files.find((file) => file.path === path && file.type === 'file');
    if (!node) throw new InvalidArgumentError(`backup ${backupId} volume ${volume} has no file ${path}`);
    yield* this.withSharedLock('restore', async function* (this: Repository) {
      yield* readFile(this.reader(), node, { backupId, volume });
    });
  }

  /** A block volume's image as (offset, bytes) pieces in order, verified. */
  async *readBlocks(backupId: string, volume: string): AsyncGenerator<{ offset: number; data: Buffer }> {
    const map = await this.readBlockMap(backupId, volume);
    yield* this.withSharedLock('restore', async function* (this: Repository) {
      yield* readBlocks(this.reader(), map, { backupId, volume });
    });
  }

  /**
   * Restores a volume: a file tree into the directory `destination`, a block volume into the file
   * or block device `destination`. Returns the bytes written.
   */
  async restoreVolume(backupId: string, volume: string, destination: string, onBytes?: (bytes: number) => void): Promise<{ bytes: number; files: number }> {
    const manifest = await this.getBackup(backupId);
    const entry = manifest.volumes.find((v) => v.name === volume);
    if (!entry) throw new InvalidArgumentError(`backup ${backupId} has no volume ${volume}`);
    const lock = await RepositoryLock.acquire(this.backend, 'shared', 'restore', this.options.lockWaitMs ?? 0);
    try {
      await this.syncIndex();
      const context: RestoreContext = { backupId, volume, onBytes };
      if (entry.kind === 'blocks') {
        const map = decodeBlockMap(await this.readTree(entry, backupId));
        return { bytes: await restoreBlocksToFile(this.reader(), map, destination, context), files: 1 };
      }
      // Awaited here, inside the try: a bare `return` would release the lock (finally) while the files
      // are still being read, and a failure meanwhile would be an unhandled rejection.
      return await restoreTree(this.reader(), decodeFileTree(await this.readTree(entry, backupId)), destination, context);
    } finally {
      await lock.release();
    }
  }

  /** Verifies every pack, index and manifest; never changes anything. */
  async check(): Promise<CheckReport> {
    const lock = await RepositoryLock.acquire(this.backend, 'shared', 'check', this.options.lockWaitMs ?? 0);
    try {
      return await checkRepository(this.backend, this.key);
    } finally {
      await lock.release();
    }
  }

  /** Removes data no backup references, under an exclusive lock. */
  async prune(options: Partial<PruneOptions> = {}): Promise<PruneReport> {
    const lock = await RepositoryLock.acquire(this.backend, 'exclusive', 'prune', options.lockWaitMs ?? this.options.lockWaitMs ?? 0);
    try {
      return await pruneRepository(this.backend, this.key, { ...DEFAULT_PACK_WRITER, ...this.options.packWriter }, options);
    } finally {
      this.index = await BlobIndex.load(this.backend, this.key).catch(() => this.index);
      await lock.release();
    }
  }

  /** Bytes of every object in the repository (packs, indexes, manifests, keys). */
  async storageBytes(): Promise<number> {
    let total = 0;
    for (const name of await this.backend.list('')) total += (await this.backend.size(name)) ?? 0;
    return total;
  }

  private reader(): BlobReader {
    return new BlobReader(this.backend, this.key, this.index);
  }

  /** Loads index files written since open; reloads everything if some disappeared (a prune ran). */
  private async syncIndex(): Promise<void> {
    const names = new Set(await this.backend.list('index'));
    const lost = [...this.index.files].some((name) => !names.has(name));
    if (lost) this.index = await BlobIndex.load(this.backend, this.key);
    else await this.index.refresh(this.backend, this.key);
  }

  private async volumeOf(backupId: string, volume: string, kind: VolumeEntry['kind']): Promise<VolumeEntry> {
    const manifest = await this.getBackup(backupId);
    const entry = manifest.volumes.find((v) => v.name === volume);
    if (!entry) throw new InvalidArgumentError(`backup ${backupId} has no volume ${volume}`);
    if (entry.kind !== kind) throw new InvalidArgumentError(`volume ${volume} of backup ${backupId} is a ${entry.kind} volume, not ${kind}`);
    return entry;
  }

  private async readTree(entry: VolumeEntry, backupId: string): Promise<Buffer> {
    await this.syncIndex();
    try {
      return await this.reader().read(entry.tree);
    } catch (error) {
      if (error instanceof BlobUnreadableError) {
        throw new DamagedChunkError(entry.tree, error.pack, { backupId, volume: entry.name, file: '(volume tree)' }, error.detail);
      }
      throw error;
    }
  }

  private async *withSharedLock<T>(purpose: string, body: (this: Repository) => AsyncGenerator<T>): AsyncGenerator<T> {
    const lock = await RepositoryLock.acquire(this.backend, 'shared', purpose, this.options.lockWaitMs ?? 0);
    try {
      await this.syncIndex();
      yield* body.call(this);
    } finally {
      await lock.release();
    }
  }
}

export type { FileNode };
