/**
 * Every error the repository library throws on purpose. Each carries the context a caller needs to
 * say what went wrong without parsing messages (the location, the pack, the backup, the volume, the
 * file), and a catalogue code (lib/errors) from which the API, the data mover and the CLI each take
 * their status by their one table — no caller translates repository errors itself.
 */
import { BerthError } from '../../lib/errors/berth-error';
import type { ErrorCode } from '../../lib/errors/codes';

/**
 * Base class: `instanceof RepositoryError` catches everything thrown on purpose by this library.
 * Thrown as is, it is a broken contract of the library (`internal`) or, with a code, a named failure.
 */
export class RepositoryError extends BerthError {
  constructor(message: string, code: ErrorCode = 'internal') {
    super(code, message);
  }
}

/** `open` on a location that holds no repository (no `config` object). */
export class RepositoryNotFoundError extends RepositoryError {
  constructor(readonly location: string) {
    super(`no backup repository at ${location} (run "berth repo init --location ${location}" first)`, 'repository_not_found');
  }
}

/** `init` on a location that already holds a repository: init never overwrites one. */
export class RepositoryExistsError extends RepositoryError {
  constructor(readonly location: string) {
    super(`a backup repository already exists at ${location}`, 'repository_exists');
  }
}

/** No key file of the repository opens with the given passphrase. */
export class WrongPassphraseError extends RepositoryError {
  constructor(readonly location: string) {
    super(`wrong passphrase for the backup repository at ${location}`, 'wrong_passphrase');
  }
}

/** The repository was written by a newer (or unknown) format version. */
export class UnsupportedFormatError extends RepositoryError {
  constructor(
    readonly location: string,
    readonly version: unknown,
  ) {
    super(`the backup repository at ${location} has format version ${String(version)}, which this Berth cannot read`, 'unsupported_format');
  }
}

/**
 * An encrypted object failed authentication or did not parse: it was damaged or tampered with.
 * `object` names the repository object (e.g. `data/3f/3f…`, `index/…`, `manifests/…`).
 */
export class CorruptObjectError extends RepositoryError {
  constructor(
    readonly object: string,
    readonly detail: string,
  ) {
    super(`repository object ${object} is damaged: ${detail}`, 'repository_corrupt');
  }
}

/**
 * One blob could not be read back intact: its pack is missing, the bytes fail authentication, or the
 * plaintext no longer hashes to its id. `pack` is the pack object name when the index knows it.
 */
export class BlobUnreadableError extends RepositoryError {
  constructor(
    readonly blobId: string,
    readonly pack: string | undefined,
    readonly detail: string,
  ) {
    super(`blob ${blobId.slice(0, 16)}${pack ? ` in ${pack}` : ''} is unreadable: ${detail}`, 'repository_corrupt');
  }
}

/** A chunk could not be read back intact while restoring; names where it was needed and where it lives. */
export class DamagedChunkError extends RepositoryError {
  constructor(
    readonly chunkId: string,
    readonly pack: string | undefined,
    readonly where: { backupId?: string; volume?: string; file?: string; offset?: number },
    readonly detail: string,
  ) {
    super(`cannot restore ${describeWhere(where)}: chunk ${chunkId.slice(0, 16)}` + `${pack ? ` in pack ${pack}` : ''} ${detail}`, 'repository_corrupt');
  }
}

/** A backup id that no manifest carries. */
export class BackupNotFoundError extends RepositoryError {
  constructor(readonly backupId: string) {
    super(`no backup with id ${backupId} in the repository`, 'not_found');
  }
}

/** A lock held by someone else keeps this operation from starting (prune vs. running backups). */
export class RepositoryLockedError extends RepositoryError {
  constructor(
    readonly wanted: 'shared' | 'exclusive',
    readonly holders: string[],
  ) {
    super(`repository is locked (${wanted} lock refused; held by: ${holders.join('; ')})`, 'repository_locked');
  }
}

/** A caller passed something the library cannot work with (bad range, bad option). */
export class InvalidArgumentError extends RepositoryError {
  constructor(message: string) {
    super(message, 'invalid_argument');
  }
}

function describeWhere(where: { backupId?: string; volume?: string; file?: string; offset?: number }): string {
  const parts: string[] = [];
  if (where.volume !== undefined) parts.push(`volume ${where.volume}`);
  if (where.file !== undefined) parts.push(`file ${where.file}`);
  if (where.offset !== undefined) parts.push(`at offset ${where.offset}`);
  if (where.backupId !== undefined) parts.push(`of backup ${where.backupId}`);
  return parts.length > 0 ? parts.join(' ') : 'data';
}
