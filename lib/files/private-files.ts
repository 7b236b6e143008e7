import { chmodSync, closeSync, fchmodSync, mkdirSync, openSync } from 'node:fs';

/**
 * Files and directories for their owner only (0600 / 0700), whatever the process umask: pool images,
 * repository objects, state and logs hold data or keys no other local user may read. The modes are
 * set again on what already existed, so a file created by an older version is closed too.
 */
export const PRIVATE_FILE = 0o600;
export const PRIVATE_DIR = 0o700;

/** Creates `path` empty if missing (never truncates) and makes it 0600. */
export function ensurePrivateFile(path: string): void {
  const fd = openSync(path, 'a', PRIVATE_FILE);
  try {
    fchmodSync(fd, PRIVATE_FILE);
  } finally {
    closeSync(fd);
  }
}

/** Creates `dir` (and missing parents, 0700) and makes `dir` itself 0700. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  chmodSync(dir, PRIVATE_DIR);
}
