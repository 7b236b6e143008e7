import { BlockMap, ByteRange, extentsPerRegion, normalizeRanges, Overlay, overlayExtents, splitAtGrid } from './block-map';
import { InvalidArgumentError } from './errors';
import { BlobType } from './pack-format';
import { PackWriter } from './pack-writer';

/**
 * Writes a block-device or image volume into the repository as a block map (see block-map.ts).
 *
 * - No parent: the whole image is read in `chunkSize` pieces (1 MiB by default), each stored as a
 *   chunk (all-zero or repeated pieces deduplicate to one chunk).
 * - Parent + changed ranges (the data mover knows them: btrfs changed extents, CSI
 *   GetMetadataDelta): only the changed ranges are read and stored, aligned to `align` (4 KiB);
 *   everything else keeps the parent's chunk refs without being read.
 * - Parent without changed ranges: everything is read; pieces identical to the parent's deduplicate.
 *
 * Regions (chunkSize-aligned) that end up with more than `maxExtentsPerRegion` extents are re-read
 * and stored whole, which bounds restore seeks and lets prune free the old fragments' chunks.
 */

export interface BlockWriteOptions {
  /** Image size in bytes now. */
  size: number;
  /** Block map of the previous backup of this volume. */
  parent?: BlockMap;
  /** Ranges changed since the parent (ignored without a parent). Omitted → read everything. */
  changedRanges?: readonly ByteRange[];
  /**
   * Ranges the image holds no data for now (holes: they read as zeros), with or without a parent.
   * They are stored as zeros without being read — and, with a parent, stored at all: a range the
   * guest discarded since the parent lists no changed extent (btrfs records no extent for a hole), yet
   * no longer holds the parent's data.
   */
  zeroRanges?: readonly ByteRange[];
  /** Reads `length` bytes at `offset` of the current image. */
  readRange: (offset: number, length: number) => Promise<Buffer>;
  /** Progress after each stored piece. */
  onProgress?: (progress: { bytesRead: number; bytesTotal: number }) => void;
}

export interface BlockWriteTuning {
  chunkSize: number;
  align: number;
  maxExtentsPerRegion: number;
}

export interface BlockWriteResult {
  map: BlockMap;
  bytesRead: number;
  bytesNew: number;
  chunksNew: number;
  chunksReused: number;
}

export async function writeBlocks(writer: PackWriter, options: BlockWriteOptions, tuning: BlockWriteTuning): Promise<BlockWriteResult> {
  const { size, parent, readRange } = options;
  const { chunkSize, align } = tuning;
  if (!Number.isSafeInteger(size) || size < 0) throw new InvalidArgumentError(`invalid image size ${size}`);
  const result: BlockWriteResult = { map: { size, extents: [] }, bytesRead: 0, bytesNew: 0, chunksNew: 0, chunksReused: 0 };

  const zeros = normalizeRanges(options.zeroRanges ?? [], size, 1);
  let ranges: ByteRange[];
  if (parent && options.changedRanges) {
    const grown = size > parent.size ? [{ offset: parent.size, length: size - parent.size }] : [];
    const changed = normalizeRanges([...options.changedRanges, ...grown], size, align);
    // Holes are laid down apart from the changed ranges (merged, a 4 KiB write inside a hole would
    // turn the whole grid piece around it into a read), and only where the parent does not hold zeros
    // there already — laying every hole again would fragment the map of a sparse image each time.
    const holePieces = splitAtGrid(subtract(zeros, changed), chunkSize);
    // One id per distinct length (a sparse image has thousands of equal pieces: hash each length once).
    const zeroIds = new Set([...new Set([chunkSize, ...holePieces.map((p) => p.length)])].map((length) => writer.idOf(Buffer.alloc(length))));
    const newHoles = notHeldBy(parent, holePieces, zeroIds);
    ranges = [...splitAtGrid(changed, chunkSize), ...newHoles].sort((a, b) => a.offset - b.offset);
  } else {
    ranges = splitAtGrid([{ offset: 0, length: size }], chunkSize);
  }
  const base = parent && options.changedRanges ? parent : undefined;
  const bytesTotal = ranges.reduce((sum, range) => sum + range.length, 0);
  let bytesDone = 0;

  // One id per length of zeros: a hole is stored by reference to the zero chunk, not read or hashed again.
  const zeroChunks = new Map<number, string>();
  const zeroChunk = async (length: number): Promise<{ id: string; isNew: boolean }> => {
    const known = zeroChunks.get(length);
    if (known) return { id: known, isNew: false };
    const added = await writer.add(BlobType.Data, Buffer.alloc(length));
    zeroChunks.set(length, added.id);
    return added;
  };

  const store = async (pieces: readonly ByteRange[]): Promise<Overlay[]> => {
    const overlays: Overlay[] = [];
    const inHole = pieces.map((piece) => within(zeros, piece));
    const read = (i: number) => (inHole[i] ? undefined : readRange(pieces[i].offset, pieces[i].length));
    // Keep one read ahead so the source read overlaps hashing and encryption.
    let next = pieces.length > 0 ? read(0) : undefined;
    for (let i = 0; i < pieces.length; i++) {
      const pending = next;
      next = i + 1 < pieces.length ? read(i + 1) : undefined;
      let stored: { id: string; isNew: boolean };
      if (inHole[i]) {
        stored = await zeroChunk(pieces[i].length);
      } else {
        const data = await pending!;
        if (data.length !== pieces[i].length)
          throw new InvalidArgumentError(`readRange(${pieces[i].offset}, ${pieces[i].length}) returned ${data.length} bytes`);
        result.bytesRead += data.length;
        stored = await writer.add(BlobType.Data, data);
      }
      if (stored.isNew) {
        result.chunksNew++;
        result.bytesNew += pieces[i].length;
      } else {
        result.chunksReused++;
      }
      overlays.push({ offset: pieces[i].offset, length: pieces[i].length, chunk: stored.id, chunkOffset: 0 });
      bytesDone += pieces[i].length;
      options.onProgress?.({ bytesRead: bytesDone, bytesTotal });
    }
    return overlays;
  };

  let map = overlayExtents(base, size, await store(ranges));
  if (base) {
    // Defragment: regions split into too many extents are stored again as one chunk.
    const counts = extentsPerRegion(map, chunkSize);
    const crowded: ByteRange[] = [];
    counts.forEach((count, region) => {
      if (count > tuning.maxExtentsPerRegion) {
        const offset = region * chunkSize;
        crowded.push({ offset, length: Math.min(chunkSize, size - offset) });
      }
    });
    if (crowded.length > 0) map = overlayExtents(map, size, await store(crowded));
  }
  result.map = map;
  return result;
}

/** Whether `piece` lies wholly inside one of `ranges` (sorted, merged). */
function within(ranges: readonly ByteRange[], piece: ByteRange): boolean {
  let low = 0;
  let high = ranges.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const r = ranges[mid];
    if (r.offset + r.length <= piece.offset) low = mid + 1;
    else if (r.offset > piece.offset) high = mid - 1;
    else return piece.offset + piece.length <= r.offset + r.length;
  }
  return false;
}

/** `from` without `minus` (both sorted and merged). */
function subtract(from: readonly ByteRange[], minus: readonly ByteRange[]): ByteRange[] {
  const out: ByteRange[] = [];
  let j = 0;
  for (const range of from) {
    let start = range.offset;
    const end = range.offset + range.length;
    while (j < minus.length && minus[j].offset + minus[j].length <= start) j++;
    for (let k = j; k < minus.length && minus[k].offset < end; k++) {
      if (minus[k].offset > start) out.push({ offset: start, length: minus[k].offset - start });
      start = Math.max(start, minus[k].offset + minus[k].length);
    }
    if (start < end) out.push({ offset: start, length: end - start });
  }
  return out;
}

/** The pieces (sorted, disjoint) that `map` does not hold wholly in `chunks` (here: chunks of zeros). One sweep. */
function notHeldBy(map: BlockMap, pieces: readonly ByteRange[], chunks: ReadonlySet<string>): ByteRange[] {
  const out: ByteRange[] = [];
  const extents = map.extents;
  let e = 0;
  let eStart = 0;
  for (const piece of pieces) {
    const end = piece.offset + piece.length;
    while (e < extents.length && eStart + extents[e].length <= piece.offset) {
      eStart += extents[e].length;
      e++;
    }
    let held = true;
    for (let k = e, kStart = eStart; ; kStart += extents[k].length, k++) {
      // Past the parent's end (the image grew), or bytes of a chunk that is not zeros.
      if (k >= extents.length || !chunks.has(extents[k].chunk)) {
        held = false;
        break;
      }
      if (kStart + extents[k].length >= end) break;
    }
    if (!held) out.push(piece);
  }
  return out;
}
