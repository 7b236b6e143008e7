import type { BackupVolumeResult, RestoreVolumeResult } from './data-mover-types';
import type { VolumeKind } from '../backup/repository/manifest';
import type { BackupVolumeResult as BackupVolumeResultMessage, BackupVolumeResult__Output } from '../proto/berth/generated/berth/agent/v1/BackupVolumeResult';
import type {
  RestoreVolumeResult as RestoreVolumeResultMessage,
  RestoreVolumeResult__Output,
} from '../proto/berth/generated/berth/agent/v1/RestoreVolumeResult';

/*
 * The data mover's result on the wire (DataMoverResult in agent.proto) and back: the agent encodes
 * what its mover returned, the server decodes it into the same types, refusing an answer that does
 * not say what the server needs (the server writes the entry into a backup manifest).
 */

const PATHS = ['fast', 'generic'] as const;
const DETECTIONS = ['btrfs-generation', 'parent-compare', 'full'] as const;
const KINDS = ['files', 'blocks'] as const;

export function encodeBackupResult(r: BackupVolumeResult): BackupVolumeResultMessage {
  const { entry } = r;
  return {
    entry: {
      name: entry.name,
      kind: entry.kind,
      tree: entry.tree,
      size: entry.size,
      bytesRead: entry.stats.bytesRead,
      bytesNew: entry.stats.bytesNew,
      chunksNew: entry.stats.chunksNew,
      chunksReused: entry.stats.chunksReused,
      ...(entry.stats.files === undefined ? {} : { files: entry.stats.files }),
      ...(entry.stats.bytesStored === undefined ? {} : { bytesStored: entry.stats.bytesStored }),
    },
    changeMarker: r.changeMarker,
    path: r.path,
    changeDetection: r.changeDetection,
  };
}

export function encodeRestoreResult(r: RestoreVolumeResult): RestoreVolumeResultMessage {
  return { bytes: r.bytes, files: r.files, path: r.path };
}

/** Throws an Error saying what is wrong with an answer that is not a backup result. */
export function decodeBackupResult(m: BackupVolumeResult__Output | null | undefined): BackupVolumeResult {
  if (!m) throw new Error('no backup result');
  const e = m.entry;
  if (!e?.tree) throw new Error('no volume entry');
  return {
    entry: {
      name: e.name,
      kind: oneOf('entry kind', KINDS, e.kind) satisfies VolumeKind,
      tree: e.tree,
      size: count('size', e.size),
      stats: {
        bytesRead: count('bytes read', e.bytesRead),
        bytesNew: count('bytes new', e.bytesNew),
        chunksNew: count('chunks new', e.chunksNew),
        chunksReused: count('chunks reused', e.chunksReused),
        ...(e.files === undefined ? {} : { files: count('files', e.files) }),
        ...(e.bytesStored === undefined ? {} : { bytesStored: count('bytes stored', e.bytesStored) }),
      },
    },
    changeMarker: m.changeMarker,
    path: oneOf('path', PATHS, m.path),
    changeDetection: oneOf('change detection', DETECTIONS, m.changeDetection),
  };
}

export function decodeRestoreResult(m: RestoreVolumeResult__Output | null | undefined): RestoreVolumeResult {
  if (!m) throw new Error('no restore result');
  return { bytes: count('bytes', m.bytes), files: count('files', m.files), path: oneOf('path', PATHS, m.path) };
}

function oneOf<T extends string>(what: string, allowed: readonly T[], value: string): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined) throw new Error(`${what} ${JSON.stringify(value)} is none of ${allowed.join(', ')}`);
  return found;
}

/** An int64 (a decimal string with longs=String) as a number: byte counts stay far below 2^53. */
function count(what: string, value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${what} ${JSON.stringify(value)} is not a count`);
  return n;
}
