import { ID_BYTES } from './crypto';
import { InvalidArgumentError } from './errors';

/**
 * A block-device or image volume as an extent map: consecutive extents cover [0, size) exactly, and
 * each points at a byte range of a chunk.
 *
 * Why extents rather than one ref per fixed block: a full backup cuts the image into large chunks
 * (1 MiB: few blobs, little index, fast), while an incremental backup stores only the ranges that
 * changed — a scattered 4 KiB write adds a 4 KiB chunk and splits one extent, instead of
 * re-uploading a whole 1 MiB block (restic's behaviour) or forcing every backup to use 4 KiB blocks
 * (millions of blobs per volume). Unchanged ranges keep the parent's chunk refs without being read.
 *
 * Fragmentation is bounded by the writer: a 1 MiB region of the image that has accumulated too
 * many extents is re-read and stored as one fresh chunk (block-writer.ts).
 *
 * Encoding (inside a sealed tree blob): "BERTHBM1" ‖ u64 size ‖ u32 count ‖ count × (chunk id 32 ‖
 * u32 chunk offset ‖ u32 length). Offsets are implied by the running sum of lengths.
 */

export interface BlockExtent {
  /** Hex id of the chunk holding these bytes. */
  chunk: string;
  /** Where in the chunk's plaintext the bytes start. */
  chunkOffset: number;
  length: number;
}

export interface BlockMap {
  size: number;
  extents: BlockExtent[];
}

export interface ByteRange {
  offset: number;
  length: number;
}

const MAGIC = Buffer.from('BERTHBM1');
const EXTENT_BYTES = ID_BYTES + 4 + 4;

export function encodeBlockMap(map: BlockMap): Buffer {
  const out = Buffer.allocUnsafe(MAGIC.length + 8 + 4 + map.extents.length * EXTENT_BYTES);
  MAGIC.copy(out, 0);
  out.writeBigUInt64LE(BigInt(map.size), 8);
  out.writeUInt32LE(map.extents.length, 16);
  let at = 20;
  for (const extent of map.extents) {
    out.write(extent.chunk, at, ID_BYTES, 'hex');
    out.writeUInt32LE(extent.chunkOffset, at + 32);
    out.writeUInt32LE(extent.length, at + 36);
    at += EXTENT_BYTES;
  }
  return out;
}

export function decodeBlockMap(data: Buffer): BlockMap {
  if (data.length < 20 || !data.subarray(0, 8).equals(MAGIC)) throw new Error('not a block map');
  const size = Number(data.readBigUInt64LE(8));
  const count = data.readUInt32LE(16);
  if (data.length !== 20 + count * EXTENT_BYTES) throw new Error('block map has the wrong length');
  const extents: BlockExtent[] = [];
  let at = 20;
  let covered = 0;
  for (let i = 0; i < count; i++) {
    const extent = { chunk: data.toString('hex', at, at + 32), chunkOffset: data.readUInt32LE(at + 32), length: data.readUInt32LE(at + 36) };
    covered += extent.length;
    extents.push(extent);
    at += EXTENT_BYTES;
  }
  if (covered !== size) throw new Error(`block map covers ${covered} bytes of ${size}`);
  return { size, extents };
}

/**
 * Sorts, clips to [0, size), widens to `align` boundaries and merges overlapping or touching ranges.
 * Alignment matches the filesystem/device block: a 1-byte change is stored as its 4 KiB block.
 */
export function normalizeRanges(ranges: readonly ByteRange[], size: number, align: number): ByteRange[] {
  const clipped: ByteRange[] = [];
  for (const range of ranges) {
    if (!Number.isSafeInteger(range.offset) || !Number.isSafeInteger(range.length) || range.offset < 0 || range.length < 0) {
      throw new InvalidArgumentError(`invalid changed range ${JSON.stringify(range)}`);
    }
    const start = Math.floor(range.offset / align) * align;
    const end = Math.min(size, Math.ceil((range.offset + range.length) / align) * align);
    if (end > start) clipped.push({ offset: start, length: end - start });
  }
  clipped.sort((a, b) => a.offset - b.offset);
  const merged: ByteRange[] = [];
  for (const range of clipped) {
    const last = merged[merged.length - 1];
    if (last && range.offset <= last.offset + last.length) {
      last.length = Math.max(last.length, range.offset + range.length - last.offset);
    } else {
      merged.push({ ...range });
    }
  }
  return merged;
}

/** Cuts ranges at every multiple of `grid`, so no piece straddles two regions (or exceeds a chunk). */
export function splitAtGrid(ranges: readonly ByteRange[], grid: number): ByteRange[] {
  const out: ByteRange[] = [];
  for (const range of ranges) {
    let offset = range.offset;
    const end = range.offset + range.length;
    while (offset < end) {
      const next = Math.min(end, (Math.floor(offset / grid) + 1) * grid);
      out.push({ offset, length: next - offset });
      offset = next;
    }
  }
  return out;
}

/** A new extent to lay over a map: `length` bytes at `offset`, held by `chunk` from `chunkOffset`. */
export interface Overlay extends ByteRange {
  chunk: string;
  chunkOffset: number;
}

/**
 * The map `base` (truncated or extended to `size`) with `overlays` (sorted, non-overlapping) laid on
 * top. Every byte of [0, size) must be covered by base or an overlay.
 */
export function overlayExtents(base: BlockMap | undefined, size: number, overlays: readonly Overlay[]): BlockMap {
  const out: BlockExtent[] = [];
  const push = (extent: BlockExtent): void => {
    if (extent.length === 0) return;
    const last = out[out.length - 1];
    // Re-join pieces of one chunk that sit next to each other in both the image and the chunk.
    if (last && last.chunk === extent.chunk && last.chunkOffset + last.length === extent.chunkOffset) last.length += extent.length;
    else out.push({ ...extent });
  };
  const baseExtents = base?.extents ?? [];
  let baseIndex = 0;
  let baseStart = 0; // image offset where baseExtents[baseIndex] starts
  /** Copies base extents clipped to [from, to). Calls come with increasing `from`. */
  const copyBase = (from: number, to: number): void => {
    while (baseIndex < baseExtents.length && baseStart + baseExtents[baseIndex].length <= from) {
      baseStart += baseExtents[baseIndex].length;
      baseIndex++;
    }
    let index = baseIndex;
    let start = baseStart;
    while (from < to) {
      if (index >= baseExtents.length) throw new InvalidArgumentError(`bytes ${from}..${to} are neither in the parent nor in the changed ranges`);
      const extent = baseExtents[index];
      const end = start + extent.length;
      const pieceEnd = Math.min(end, to);
      push({ chunk: extent.chunk, chunkOffset: extent.chunkOffset + (from - start), length: pieceEnd - from });
      from = pieceEnd;
      if (pieceEnd === end) {
        start = end;
        index++;
      }
    }
  };
  let cursor = 0;
  for (const overlay of overlays) {
    if (overlay.offset < cursor) throw new InvalidArgumentError('overlays must be sorted and must not overlap');
    copyBase(cursor, overlay.offset);
    push({ chunk: overlay.chunk, chunkOffset: overlay.chunkOffset, length: overlay.length });
    cursor = overlay.offset + overlay.length;
  }
  copyBase(cursor, size);
  return { size, extents: out };
}

/** How many extents touch each `grid`-sized region of the image (index = region number). */
export function extentsPerRegion(map: BlockMap, grid: number): Uint32Array {
  const counts = new Uint32Array(Math.ceil(map.size / grid));
  let offset = 0;
  for (const extent of map.extents) {
    const first = Math.floor(offset / grid);
    const last = Math.floor((offset + extent.length - 1) / grid);
    for (let region = first; region <= last; region++) counts[region]++;
    offset += extent.length;
  }
  return counts;
}

/** Distinct chunk ids of a map. */
export function chunksOf(map: BlockMap): Set<string> {
  return new Set(map.extents.map((extent) => extent.chunk));
}
