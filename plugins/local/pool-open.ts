import { existsSync, mkdirSync } from 'node:fs';
import { ensurePrivateFile } from '../../lib/files/private-files';
import { join } from 'node:path';
import { run } from '../../lib/exec/run';
import { isMountPoint } from '../../lib/mounts/mounts';
import { Logger } from '../../lib/logging/logger';
import { BtrfsPool, DirPool, Pool } from './pool';
import { PoolSpec } from './pool-spec';

/**
 * Makes a pool usable. For `file:` pools the plugin owns the image: it creates and formats it on first
 * use and mounts it under the state dir. On a restart it reuses the loop device and mount that are still
 * there (volumes published from the pool keep them alive), because attaching the same btrfs image a
 * second time would present one filesystem on two devices.
 */
export async function openPool(spec: PoolSpec, stateDir: string, log: Logger): Promise<Pool> {
  switch (spec.kind) {
    case 'dir': {
      const pool = new DirPool(spec.name, spec.path);
      await pool.open();
      log.warn({ pool: spec.name, path: spec.path }, 'dir pool: volume sizes are accounted but NOT enforced (use a btrfs pool for enforced capacity)');
      return pool;
    }
    case 'btrfs': {
      const pool = new BtrfsPool(spec.name, spec.path);
      await pool.open();
      return pool;
    }
    case 'btrfs-file': {
      const mountPoint = join(stateDir, 'pools', spec.name);
      mkdirSync(mountPoint, { recursive: true, mode: 0o700 });
      if (!isMountPoint(mountPoint)) {
        if (!existsSync(spec.image)) {
          // The image holds every volume of the pool: owner-only from its first byte, whatever the umask.
          ensurePrivateFile(spec.image);
          await run('truncate', ['-s', String(spec.sizeBytes), spec.image]);
          await run('mkfs.btrfs', ['-q', '-f', spec.image]);
          log.info({ pool: spec.name, image: spec.image, bytes: spec.sizeBytes }, 'created btrfs pool image');
        }
        ensurePrivateFile(spec.image); // an image made by an older version may be world-readable
        const attached = (await run('losetup', ['-j', spec.image])).split('\n').filter(Boolean);
        if (attached.length > 0) {
          await run('mount', [attached[0].split(':')[0], mountPoint]);
        } else {
          // -o loop sets the loop device to auto-clear: once the pool and every bind of it are unmounted,
          // the device detaches by itself instead of leaking.
          await run('mount', ['-o', 'loop', spec.image, mountPoint]);
        }
      }
      const pool = new BtrfsPool(spec.name, mountPoint);
      await pool.open();
      return pool;
    }
  }
}
