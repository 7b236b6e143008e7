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
  /** Plaintext bytes of new chunks (what deduplication left to store, before compression). */
  bytesNew: number;
  /**
   * Bytes this volume added to the repository on disk: its new blobs as stored (compressed, encrypted)
   * plus its share of the pack headers and index files written with them. Absent in manifests written
   * before it was counted.
   */
  bytesStored?: number;
  chunksNew: number;
  chunksReused: number;
  files?: number;
}

export interface BackupStats {
  /**
   * For readers older than `bytesStored`: the same figure when it is known. Manifests written before
   * `bytesStored` existed hold the new plaintext bytes plus the manifest here when the backup was
   * committed by `commitManifest` (every server backup), which is not what the repository grew by.
   */
  bytesAdded: number;
  /** Bytes read from the sources. */
  bytesRead: number;
  /** Plaintext bytes of new chunks, summed over the volumes (absent in older manifests). */
  bytesNew?: number;
  /**
   * Bytes the repository grew by on disk: packs and index files of every volume plus this manifest
   * (absent in older manifests, and when a volume's data mover did not report its own figure).
   */
  bytesStored?: number;
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

/**
 * Writes the manifest and returns its size. When `stats.bytesStored` is set it is taken as the bytes
 * stored before the manifest, and both it and `bytesAdded` are raised by the manifest's own size — in
 * the object written too, so a manifest read back says exactly what its backup cost on disk.
 */
export async function writeManifest(backend: Backend, key: MasterKey, manifest: BackupManifest): Promise<number> {
  const before = manifest.stats.bytesStored;
  let sealed = sealManifest(key, manifest);
  if (before !== undefined) {
    // The size depends on the digits of the figure that includes it: grow the figure until it holds
    // still (the size only ever grows, by a byte or two, so this ends after a few rounds).
    let size = 0;
    while (sealed.length !== size) {
      size = sealed.length;
      manifest.stats.bytesStored = before + size;
      manifest.stats.bytesAdded = before + size;
      sealed = sealManifest(key, manifest);
    }
  }
  await backend.write(manifestObjectName(manifest.id), sealed);
  return sealed.length;
}

function sealManifest(key: MasterKey, manifest: BackupManifest): Buffer {
  return seal(key.dataKey, 'manifest', Buffer.from(JSON.stringify(manifest)));
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
