import { existsSync, rmdirSync, statSync, unlinkSync } from 'node:fs';

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
