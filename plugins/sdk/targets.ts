import { existsSync, mkdirSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Removes what NodePublish created at a target — an empty directory (mount volumes) or an empty file
 * (block volumes), as the spec asks — once nothing is mounted there. A directory with content is not
 * this plugin's to remove: it is left, and the unpublish still succeeds.
 */
export function removeTarget(path: string): void {
  if (!existsSync(path)) return;
  try {
    if (statSync(path).isDirectory()) rmdirSync(path);
    else unlinkSync(path);
  } catch {
    /* not empty: not ours to remove */
  }
}

/**
 * Makes the empty file a block volume's device node is bind-mounted onto at a target. A CO may have
 * made the target as a directory (it does for mount volumes): an empty one is replaced.
 */
export function makeBlockTarget(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (existsSync(path) && statSync(path).isDirectory()) rmdirSync(path);
  if (!existsSync(path)) writeFileSync(path, '', { mode: 0o600 });
}
