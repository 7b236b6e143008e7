import { randomBytes } from 'node:crypto';
import { Backend } from './backend';
import { maybeCompress, Codec } from './compression';
import { blobId, MasterKey, seal, sealParts } from './crypto';
import { BlobIndex, IndexedPack, writeIndexFile } from './index-file';
import { BlobEntry, BlobType, encodeEntries, PACK_MAGIC, packObjectName } from './pack-format';

/**
 * Collects blobs into pack files and writes them with their index files, in the order that keeps
 * the repository consistent at every instant:
 *
 *   1. blobs are compressed (when it pays), sealed and appended to the current pack in memory;
 *   2. a full pack is written atomically and fsynced (in the background: up to two packs are in
 *      flight while the next one fills, so CPU and disk work overlap);
 *   3. every few packs — and on `flush` — one index file listing the durable packs is written;
 *   4. only then do the blobs enter the shared in-memory index.
 *
 * A crash before 3 leaves packs that no index mentions: invisible garbage that prune deletes.
 * Pack ids are random (not content hashes): integrity comes from GCM over every blob and the
 * header, and check verifies that a pack's blobs cover the file without gaps.
 */

export interface PackWriterOptions {
  /** A pack is closed once it holds at least this many bytes. */
  packTargetSize: number;
  /** Write an index file after this many packs (also on every flush). */
  packsPerIndex: number;
  /** Packs being written concurrently while the next fills. */
  maxPacksInFlight: number;
}

export const DEFAULT_PACK_WRITER: PackWriterOptions = { packTargetSize: 32 * 1024 * 1024, packsPerIndex: 8, maxPacksInFlight: 2 };

export interface WriteStats {
  blobsNew: number;
  blobsReused: number;
  /** Plaintext bytes of new blobs (before compression). */
  rawBytesNew: number;
  /** Bytes of new blobs as stored (compressed and sealed). */
  storedBytesNew: number;
  /** Bytes of pack and index files written (what the repository grew by). */
  bytesWritten: number;
  packsWritten: number;
}

interface OpenPack {
  parts: Buffer[];
  size: number;
  entries: BlobEntry[];
}

export class PackWriter {
  readonly stats: WriteStats = { blobsNew: 0, blobsReused: 0, rawBytesNew: 0, storedBytesNew: 0, bytesWritten: 0, packsWritten: 0 };
  private current: OpenPack = newOpenPack();
  /** Ids written by this writer that are not yet in the shared index (dedup within one backup). */
  private readonly pending = new Set<string>();
  private inFlight: Promise<void>[] = [];
  private unindexed: IndexedPack[] = [];
  private failure: unknown;

  constructor(
    private readonly backend: Backend,
    private readonly key: MasterKey,
    private readonly index: BlobIndex,
    private readonly options: PackWriterOptions = DEFAULT_PACK_WRITER,
  ) {}

  /** The id (hex) a blob with this content has, without storing anything. */
  idOf(plaintext: Buffer): string {
    return blobId(this.key.idKey, plaintext).toString('hex');
  }

  /** Stores a blob unless an identical one exists; returns its id (hex) and whether it was new. */
  async add(type: BlobType, plaintext: Buffer, knownId?: string): Promise<{ id: string; isNew: boolean }> {
    this.throwIfFailed();
    const idBytes = knownId ? Buffer.from(knownId, 'hex') : blobId(this.key.idKey, plaintext);
    const id = knownId ?? idBytes.toString('hex');
    if (this.index.has(id) || this.pending.has(id)) {
      this.stats.blobsReused++;
      return { id, isNew: false };
    }
    const compressed = type === BlobType.Tree || plaintext.length >= 512 ? maybeCompress(plaintext) : { codec: Codec.None, data: plaintext };
    const sealed = sealParts(this.key.dataKey, 'blob', compressed.data, idBytes);
    const length = sealed.reduce((sum, part) => sum + part.length, 0);
    this.current.entries.push({ id: idBytes, type, codec: compressed.codec, offset: this.current.size, length, rawLength: plaintext.length });
    this.current.parts.push(...sealed);
    this.current.size += length;
    this.pending.add(id);
    this.stats.blobsNew++;
    this.stats.rawBytesNew += plaintext.length;
    this.stats.storedBytesNew += length;
    if (this.current.size >= this.options.packTargetSize) await this.closePack();
    return { id, isNew: true };
  }

  /** Makes everything added so far durable and indexed. Call before referencing the blobs from a manifest. */
  async flush(): Promise<void> {
    if (this.current.entries.length > 0) await this.closePack();
    await Promise.all(this.inFlight);
    this.inFlight = [];
    this.throwIfFailed();
    await this.writeIndex();
  }

  private async closePack(): Promise<void> {
    const pack = this.current;
    this.current = newOpenPack();
    while (this.inFlight.length >= this.options.maxPacksInFlight) {
      await this.inFlight.shift();
      this.throwIfFailed();
    }
    const write = this.writePack(pack).catch((error: unknown) => {
      this.failure ??= error;
    });
    this.inFlight.push(write);
  }

  private async writePack(pack: OpenPack): Promise<void> {
    const header = seal(this.key.dataKey, 'pack-header', encodeEntries(pack.entries));
    const headerLength = Buffer.alloc(4);
    headerLength.writeUInt32LE(header.length, 0);
    const packId = randomBytes(32).toString('hex');
    const parts = [...pack.parts, header, headerLength, PACK_MAGIC];
    await this.backend.write(packObjectName(packId), parts);
    this.stats.packsWritten++;
    this.stats.bytesWritten += pack.size + header.length + 4 + PACK_MAGIC.length;
    this.unindexed.push({ packId, entries: pack.entries });
    if (this.unindexed.length >= this.options.packsPerIndex) await this.writeIndex();
  }

  private async writeIndex(): Promise<void> {
    if (this.unindexed.length === 0) return;
    const packs = this.unindexed;
    this.unindexed = [];
    const name = await writeIndexFile(this.backend, this.key, packs);
    this.stats.bytesWritten += (await this.backend.size(name)) ?? 0;
    this.index.files.add(name);
    for (const pack of packs) {
      this.index.add(pack);
      for (const entry of pack.entries) this.pending.delete(entry.id.toString('hex'));
    }
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}

function newOpenPack(): OpenPack {
  // The magic occupies the first bytes, so blob offsets start after it.
  return { parts: [PACK_MAGIC], size: PACK_MAGIC.length, entries: [] };
}
