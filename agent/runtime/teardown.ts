import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { listMounts } from '../../lib/mounts/mounts';

/**
 * Undoes everything a test left under `dir`: unmounts every mount below it (deepest first, so binds
 * stacked on a pool go before the pool), detaches loop devices whose backing file lives below it, then
 * removes the directory. Safe to call when a test failed half-way.
 */
export function cleanupUnder(dir: string): void {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  for (let pass = 0; pass < 5; pass++) {
    const mounts = listMounts()
      .filter((m) => m.mountPoint.startsWith(prefix))
      .map((m) => m.mountPoint)
      .sort((a, b) => b.length - a.length);
    if (mounts.length === 0) break;
    for (const m of mounts) {
      try {
        execFileSync('umount', [m], { stdio: 'ignore' });
      } catch {
        /* retried next pass, then lazily */
      }
    }
    if (pass === 4)
      for (const m of mounts) {
        try {
          execFileSync('umount', ['-l', m], { stdio: 'ignore' });
        } catch {
          /* gone */
        }
      }
  }
  let loops = '';
  try {
    loops = execFileSync('losetup', ['-a'], { encoding: 'utf8' });
  } catch {
    /* no loop support */
  }
  for (const line of loops.split('\n')) {
    const m = /^(\/dev\/loop\d+):.*\((.*)\)/.exec(line);
    if (m && m[2].startsWith(prefix)) {
      try {
        execFileSync('losetup', ['-d', m[1]], { stdio: 'ignore' });
      } catch {
        /* already detached */
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
