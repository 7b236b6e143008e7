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

  let ranges: ByteRange[];
  if (parent && options.changedRanges) {
    const grown = size > parent.size ? [{ offset: parent.size, length: size - parent.size }] : [];
    ranges = splitAtGrid(normalizeRanges([...options.changedRanges, ...grown], size, align), chunkSize);
  } else {
    ranges = splitAtGrid([{ offset: 0, length: size }], chunkSize);
  }
  const base = parent && options.changedRanges ? parent : undefined;
  const bytesTotal = ranges.reduce((sum, range) => sum + range.length, 0);

  const store = async (pieces: readonly ByteRange[]): Promise<Overlay[]> => {
    const overlays: Overlay[] = [];
    // Keep one read ahead so the source read overlaps hashing and encryption.
    let next = pieces.length > 0 ? readRange(pieces[0].offset, pieces[0].length) : undefined;
    for (let i = 0; i < pieces.length; i++) {
      const data = await next!;
      next = i + 1 < pieces.length ? readRange(pieces[i + 1].offset, pieces[i + 1].length) : undefined;
      if (data.length !== pieces[i].length) throw new InvalidArgumentError(`readRange(${pieces[i].offset}, ${pieces[i].length}) returned ${data.length} bytes`);
      result.bytesRead += data.length;
      const { id, isNew } = await writer.add(BlobType.Data, data);
      if (isNew) {
        result.chunksNew++;
        result.bytesNew += data.length;
      } else {
        result.chunksReused++;
      }
      overlays.push({ offset: pieces[i].offset, length: pieces[i].length, chunk: id, chunkOffset: 0 });
      options.onProgress?.({ bytesRead: result.bytesRead, bytesTotal });
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
