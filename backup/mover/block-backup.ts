import { promises as fs } from 'node:fs';
import type { BackupSession, BlockMap, ByteRange, VolumeEntry } from '../repository';
import { holesOf } from './file-holes';

/**
 * Stores a block image (a file in a snapshot, or a device) as a `blocks` volume. With a parent and
 * the ranges written since it (btrfs extents), only those ranges — and the file's holes, which cost
 * no read — are stored; with a parent and no ranges the whole image is read and compared with the
 * parent by chunk hashes (deduplicated).
 */
export async function backupBlockImage(
  session: BackupSession,
  volume: string,
  imagePath: string,
  options: {
    /** The parent backup's map of this volume; without it everything is read. */
    parentMap?: BlockMap;
    changedRanges?: readonly ByteRange[];
    onProgress?: (p: { bytesDone: number; bytesTotal: number; filesDone: number }) => void;
  },
): Promise<VolumeEntry> {
  const handle = await fs.open(imagePath, 'r');
  try {
    const stat = await handle.stat();
    // A device's size is not in stat: seek to its end.
    const size = stat.isBlockDevice() ? await deviceSize(handle) : stat.size;
    // A file's holes (FIEMAP): never read, and with changed ranges they also cover what the guest
    // discarded since the parent, which btrfs lists no extent for. A device has no holes to ask for.
    const holes = stat.isFile() ? await holesOf(imagePath) : undefined;
    // Changed extents alone miss discarded ranges: without the holes, compare everything with the parent.
    const changedRanges = options.parentMap && holes ? options.changedRanges : undefined;
    const entry = await session.writeBlockVolume(volume, {
      size,
      parentMap: options.parentMap,
      changedRanges,
      zeroRanges: holes,
      readRange: async (offset, length) => {
        const buffer = Buffer.alloc(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await handle.read(buffer, done, length - done, offset + done);
          if (bytesRead === 0) break; // past the end reads as zeros
          done += bytesRead;
        }
        return buffer;
      },
      onProgress: (p) => options.onProgress?.({ bytesDone: p.bytesRead, bytesTotal: p.bytesTotal, filesDone: 0 }),
    });
    const { map: _map, ...volumeEntry } = entry;
    return volumeEntry;
  } finally {
    await handle.close();
  }
}

async function deviceSize(handle: fs.FileHandle): Promise<number> {
  // Binary search for the last readable byte: portable, no ioctl needed.
  let low = 0;
  let high = 1;
  const probe = Buffer.alloc(1);
  while ((await handle.read(probe, 0, 1, high * 512 - 1)).bytesRead === 1) {
    low = high;
    high *= 2;
  }
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if ((await handle.read(probe, 0, 1, mid * 512 - 1)).bytesRead === 1) low = mid;
    else high = mid;
  }
  return low * 512;
}
