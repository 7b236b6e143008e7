import { Backend, ObjectMissingError } from './backend';
import { decompress } from './compression';
import { AuthenticationError, blobId, MasterKey, open } from './crypto';
import { BlobUnreadableError } from './errors';
import { BlobIndex, BlobLocation } from './index-file';
import { BlobEntry, decodeEntries, PACK_MAGIC, PACK_TRAILER_BYTES, packObjectName } from './pack-format';

/**
 * Reading blobs back, always verified: GCM authenticates the sealed bytes bound to the blob's id,
 * and the codec must decompress to the recorded length (check also re-hashes every plaintext).
 */

/**
 * Opens one sealed blob and proves it is the blob `entry` says it is: GCM authenticates the bytes
 * together with the id (the AAD), which is proof enough for restores; `check` and prune also
 * recompute the HMAC id from the plaintext (`recomputeId`), which catches a writer bug as well.
 */
export function openBlob(key: MasterKey, entry: BlobEntry, sealed: Buffer, recomputeId = false): Buffer {
  const stored = open(key.dataKey, 'blob', sealed, entry.id);
  const plaintext = decompress(entry.codec, stored, entry.rawLength);
  if (plaintext.length !== entry.rawLength) throw new Error(`decompressed to ${plaintext.length} bytes, expected ${entry.rawLength}`);
  if (recomputeId && !blobId(key.idKey, plaintext).equals(entry.id)) throw new Error('content does not match its id');
  return plaintext;
}

export class BlobReader {
  constructor(
    private readonly backend: Backend,
    private readonly key: MasterKey,
    private readonly index: BlobIndex,
  ) {}

  locate(id: string): BlobLocation | undefined {
    return this.index.get(id);
  }

  async read(id: string): Promise<Buffer> {
    const location = this.index.get(id);
    if (!location) throw new BlobUnreadableError(id, undefined, 'no index entry (the blob is missing from the repository)');
    const pack = packObjectName(location.packId);
    let sealed: Buffer;
    try {
      sealed = await this.backend.readRange(pack, location.entry.offset, location.entry.length);
    } catch (error) {
      throw new BlobUnreadableError(id, pack, error instanceof ObjectMissingError ? 'its pack file is missing' : `read failed: ${String(error)}`);
    }
    try {
      return openBlob(this.key, location.entry, sealed);
    } catch (error) {
      throw new BlobUnreadableError(
        id,
        pack,
        error instanceof AuthenticationError ? 'authentication failed (damaged bytes)' : String(error instanceof Error ? error.message : error),
      );
    }
  }

  /**
   * Reads blobs in order with up to `concurrency` reads in flight, so disk reads overlap with
   * decryption. Yields each blob's plaintext, or throws the first error in order.
   */
  async *readInOrder(ids: Iterable<string>, concurrency = 4): AsyncGenerator<{ id: string; data: Buffer }> {
    const iterator = ids[Symbol.iterator]();
    const queue: { id: string; promise: Promise<Buffer> }[] = [];
    const fill = (): void => {
      while (queue.length < concurrency) {
        const next = iterator.next();
        if (next.done) return;
        const promise = this.read(next.value);
        promise.catch(() => undefined); // handled when its turn comes
        queue.push({ id: next.value, promise });
      }
    };
    fill();
    while (queue.length > 0) {
      const head = queue.shift()!;
      fill();
      yield { id: head.id, data: await head.promise };
    }
  }
}

/** A whole pack parsed from its own header (check and prune read packs this way, not via the index). */
export interface ParsedPack {
  entries: BlobEntry[];
  /** Bytes of the file. */
  bytes: Buffer;
}

/** Reads and authenticates a pack's header; throws a plain Error describing the damage. */
export async function readPack(backend: Backend, key: MasterKey, packId: string): Promise<ParsedPack> {
  const bytes = await backend.read(packObjectName(packId));
  if (bytes.length < PACK_MAGIC.length + PACK_TRAILER_BYTES) throw new Error('pack is truncated');
  if (!bytes.subarray(0, PACK_MAGIC.length).equals(PACK_MAGIC) || !bytes.subarray(bytes.length - PACK_MAGIC.length).equals(PACK_MAGIC)) {
    throw new Error('pack magic is damaged');
  }
  const headerLength = bytes.readUInt32LE(bytes.length - PACK_TRAILER_BYTES);
  const headerStart = bytes.length - PACK_TRAILER_BYTES - headerLength;
  if (headerStart < PACK_MAGIC.length) throw new Error('pack header length is damaged');
  let header: Buffer;
  try {
    header = open(key.dataKey, 'pack-header', bytes.subarray(headerStart, bytes.length - PACK_TRAILER_BYTES));
  } catch {
    throw new Error('pack header fails authentication');
  }
  const { entries } = decodeEntries(header);
  // The blobs must tile the space between the magic and the header exactly: then GCM over blobs and
  // header authenticates every byte of the file except the magic and the length checked above.
  let expected = PACK_MAGIC.length;
  for (const entry of entries) {
    if (entry.offset !== expected) throw new Error(`blob ${entry.id.toString('hex').slice(0, 16)} is not where the header says`);
    expected += entry.length;
  }
  if (expected !== headerStart) throw new Error('pack has bytes no blob accounts for');
  return { entries, bytes };
}
