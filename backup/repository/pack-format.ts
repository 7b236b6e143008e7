import { createHash } from 'node:crypto';
import { Codec } from './compression';
import { ID_BYTES } from './crypto';

/**
 * Pack file layout (all integers little-endian):
 *
 *   "BERTHPK1" ‖ blob₁ ‖ blob₂ ‖ … ‖ sealed header ‖ u32 sealed-header length ‖ "BERTHPK1"
 *
 * Each blob is sealed on its own (nonce ‖ ciphertext ‖ tag), so one blob can be read and verified
 * with a single ranged read. The header lists every blob (id, type, codec, offset, length, raw
 * length) and is itself sealed, so a pack reveals nothing but its size. A pack is named after the
 * SHA-256 of its bytes: `check` can prove a pack file intact before even decrypting it.
 */

export const PACK_MAGIC = Buffer.from('BERTHPK1');
export const PACK_TRAILER_BYTES = 4 + PACK_MAGIC.length;

export enum BlobType {
  /** File or block data. */
  Data = 0,
  /** Metadata: a volume's file tree or block map. */
  Tree = 1,
}

/** One blob's place in a pack. `length` is the sealed length on disk. */
export interface BlobEntry {
  id: Buffer;
  type: BlobType;
  codec: Codec;
  offset: number;
  length: number;
  /** Length of the plaintext before compression. */
  rawLength: number;
}

const ENTRY_BYTES = ID_BYTES + 1 + 1 + 4 + 4 + 4;

export function encodeEntries(entries: readonly BlobEntry[]): Buffer {
  const out = Buffer.allocUnsafe(4 + entries.length * ENTRY_BYTES);
  out.writeUInt32LE(entries.length, 0);
  let at = 4;
  for (const e of entries) {
    e.id.copy(out, at);
    out.writeUInt8(e.type, at + 32);
    out.writeUInt8(e.codec, at + 33);
    out.writeUInt32LE(e.offset, at + 34);
    out.writeUInt32LE(e.length, at + 38);
    out.writeUInt32LE(e.rawLength, at + 42);
    at += ENTRY_BYTES;
  }
  return out;
}

/** Decodes entries starting at `at`; returns them and the position after them. Throws on truncation. */
export function decodeEntries(data: Buffer, at = 0): { entries: BlobEntry[]; next: number } {
  if (data.length < at + 4) throw new Error('truncated entry list');
  const count = data.readUInt32LE(at);
  at += 4;
  if (data.length < at + count * ENTRY_BYTES) throw new Error('truncated entry list');
  const entries: BlobEntry[] = [];
  for (let i = 0; i < count; i++) {
    const type = data.readUInt8(at + 32);
    const codec = data.readUInt8(at + 33);
    if (!(type in BlobType) || !(codec in Codec)) throw new Error(`unknown blob type ${type} or codec ${codec}`);
    entries.push({
      id: Buffer.from(data.subarray(at, at + 32)),
      type,
      codec,
      offset: data.readUInt32LE(at + 34),
      length: data.readUInt32LE(at + 38),
      rawLength: data.readUInt32LE(at + 42),
    });
    at += ENTRY_BYTES;
  }
  return { entries, next: at };
}

/** Object name of a pack: `data/<first two hex digits>/<sha256 hex>` (256 folders keep directories small). */
export function packObjectName(packId: string): string {
  return `data/${packId.slice(0, 2)}/${packId}`;
}

export function packIdFromObjectName(name: string): string | undefined {
  const match = /^data\/[0-9a-f]{2}\/([0-9a-f]{64})$/.exec(name);
  return match ? match[1] : undefined;
}

export function sha256Hex(parts: readonly Buffer[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}
