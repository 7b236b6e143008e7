import { randomBytes } from 'node:crypto';
import { Backend } from './backend';
import { AuthenticationError, MasterKey, open, seal } from './crypto';
import { BackupNotFoundError, CorruptObjectError, InvalidArgumentError } from './errors';

/**
 * A backup ("snapshot manifest"): one sealed JSON object `manifests/<id>` naming the app metadata
 * (opaque to the repository), and for each volume the tree blob holding its file tree or block map.
 * A manifest is written only after every blob it references is durable and indexed, so a manifest
 * that exists is complete. Deleting a manifest deletes the backup; prune then reclaims its data.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export type VolumeKind = 'files' | 'blocks';

export interface VolumeEntry {
  name: string;
  kind: VolumeKind;
  /** Hex id of the tree blob: a file tree (kind files) or a block map (kind blocks). */
  tree: string;
  /** Logical bytes of the volume (sum of file sizes, or the image size). */
  size: number;
  stats: VolumeStats;
}

export interface VolumeStats {
  /** Bytes read from the source to make this backup of the volume. */
  bytesRead: number;
  /** Plaintext bytes of new chunks. */
  bytesNew: number;
  chunksNew: number;
  chunksReused: number;
  files?: number;
}

export interface BackupStats {
  /** Bytes the repository grew by (packs + indexes + manifest). */
  bytesAdded: number;
  bytesRead: number;
  chunksNew: number;
  chunksReused: number;
  durationMs: number;
}

export interface BackupManifest {
  formatVersion: 1;
  id: string;
  /** ISO time the backup was committed. */
  time: string;
  /** The backup this one was made incrementally from, if any. */
  parent?: string;
  /** Caller's metadata (app spec, claims, recovery point…). */
  app: JsonValue;
  tags: string[];
  volumes: VolumeEntry[];
  stats: BackupStats;
}

/** Short, sortable, unique: time first so `ls manifests` is chronological. */
export function newBackupId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

const ID_PATTERN = /^[0-9A-Za-z_-]{1,64}$/;

export function manifestObjectName(id: string): string {
  if (!ID_PATTERN.test(id)) throw new InvalidArgumentError(`invalid backup id ${JSON.stringify(id)}`);
  return `manifests/${id}`;
}

export async function writeManifest(backend: Backend, key: MasterKey, manifest: BackupManifest): Promise<number> {
  const sealed = seal(key.dataKey, 'manifest', Buffer.from(JSON.stringify(manifest)));
  await backend.write(manifestObjectName(manifest.id), sealed);
  return sealed.length;
}

export async function readManifest(backend: Backend, key: MasterKey, id: string): Promise<BackupManifest> {
  const name = manifestObjectName(id);
  const size = await backend.size(name);
  if (size === undefined) throw new BackupNotFoundError(id);
  try {
    const manifest = JSON.parse(open(key.dataKey, 'manifest', await backend.read(name)).toString('utf8')) as BackupManifest;
    if (manifest.id !== id || !Array.isArray(manifest.volumes)) throw new Error('manifest does not describe this backup');
    return manifest;
  } catch (error) {
    throw new CorruptObjectError(name, error instanceof AuthenticationError ? 'authentication failed' : String(error instanceof Error ? error.message : error));
  }
}

export async function listManifestIds(backend: Backend): Promise<string[]> {
  return (await backend.list('manifests'))
    .map((name) => name.slice('manifests/'.length))
    .filter((id) => ID_PATTERN.test(id))
    .sort();
}
