import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../../lib/files/atomic-file';

/**
 * A plugin's durable state as one versioned JSON document. Every plugin keeps its records this way:
 * the directory is owner-only, a document of another version is refused rather than misread, and every
 * write replaces the file atomically (a crash leaves the old or the new document, never half of one).
 */
export interface VersionedDocument {
  version: 1;
}

/** The document at `file`, or undefined when there is none yet. Creates the directory (0700). */
export function readStateFile<T extends VersionedDocument>(file: string): T | undefined {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  if (!existsSync(file)) return undefined;
  const data = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown };
  if (data.version !== 1) throw new Error(`${file}: unsupported state version ${String(data.version)}`);
  return data as T;
}

export function writeStateFile<T extends VersionedDocument>(file: string, data: T): void {
  writeFileAtomic(file, JSON.stringify(data, null, 1));
}
