import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** 32 random bytes, base64url: a token or secret nobody guesses. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 of a secret, hex. The secrets are random and long, so a fast hash is enough to keep at rest. */
export function secretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Equal without telling by its timing how much of `given` matched. */
export function secretsEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Reads a token from a file (one line; surrounding whitespace ignored); a file without one is an error naming it. */
export function readSecretFile(path: string): string {
  const secret = readFileSync(path, 'utf8').trim();
  if (!secret) throw new Error(`${path} holds no token`);
  if (/\s/.test(secret)) throw new Error(`${path} must hold one token on one line`);
  return secret;
}

/**
 * The secret kept in `path`, made at first use: the directory is created 0700, the file 0600 (a file
 * found readable by others is narrowed to 0600). Two processes starting at once agree on one secret:
 * the file appears complete or not at all (written aside, then linked into place, which fails if it exists).
 */
export function ensureSecretFile(path: string): string {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    return readSecretFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = newSecret();
  const tmp = `${path}.tmp-${process.pid}`;
  rmSync(tmp, { force: true }); // left by a start that crashed here
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${secret}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readSecretFile(path);
  } finally {
    unlinkSync(tmp);
  }
  return secret;
}
