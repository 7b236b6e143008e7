/**
 * Error catalogue of the store. Expected outcomes that callers branch on (not found, conflict)
 * are typed so the API can map them to 404/409 and the CLI to exit codes without parsing text.
 */
import { BerthError } from '../domain';

/** The object does not exist. */
export class NotFoundError extends BerthError {
  readonly code = 'not-found';
  constructor(
    readonly kind: string,
    readonly key: string,
  ) {
    super(`${kind} ${JSON.stringify(key)} not found`, { kind, key });
  }
}

/** Creating an object whose key is taken. */
export class AlreadyExistsError extends BerthError {
  readonly code = 'already-exists';
  constructor(
    readonly kind: string,
    readonly key: string,
  ) {
    super(`${kind} ${JSON.stringify(key)} already exists`, { kind, key });
  }
}

/**
 * Optimistic concurrency: the caller read version `expectedVersion` but the object is now at
 * `actualVersion` (undefined: it was deleted; 0 expected: it must not have existed). Re-read and retry.
 */
export class ConflictError extends BerthError {
  readonly code = 'conflict';
  constructor(
    readonly kind: string,
    readonly key: string,
    readonly expectedVersion: number,
    readonly actualVersion: number | undefined,
  ) {
    super(
      actualVersion === undefined
        ? `${kind} ${JSON.stringify(key)} was expected at version ${expectedVersion} but no longer exists`
        : expectedVersion === 0
          ? `${kind} ${JSON.stringify(key)} already exists (version ${actualVersion}); it was expected not to`
          : `${kind} ${JSON.stringify(key)} changed: expected version ${expectedVersion}, found ${actualVersion}; re-read it and retry`,
      { kind, key, expectedVersion, actualVersion },
    );
  }
}

/** The store was used against its contract: a write outside a transaction, in a read, or an async callback. A bug. */
export class StoreUsageError extends BerthError {
  readonly code = 'store-usage';
  constructor(problem: string) {
    super(`store misuse: ${problem}`, { problem });
  }
}

/** The database was written by a newer Berth (its schema has migrations this build does not know). */
export class SchemaVersionError extends BerthError {
  readonly code = 'schema-version';
  constructor(
    readonly databaseVersion: number,
    readonly knownVersion: number,
    readonly path: string,
  ) {
    super(
      `database ${path} has schema version ${databaseVersion}, newer than this build knows (${knownVersion}); upgrade Berth instead of downgrading`,
      { databaseVersion, knownVersion, path },
    );
  }
}

/** A stored row could not be decoded (corruption or a hand edit). */
export class CorruptRecordError extends BerthError {
  readonly code = 'corrupt-record';
  constructor(
    readonly table: string,
    readonly key: string,
    problem: string,
  ) {
    super(`${table} row ${JSON.stringify(key)} is unreadable: ${problem}`, { table, key, problem });
  }
}

/** The object is being deleted (its teardown is under way); it cannot be changed until it is gone. */
export class ObjectDeletingError extends BerthError {
  readonly code = 'deleting';
  constructor(
    readonly kind: string,
    readonly key: string,
  ) {
    super(`${kind} ${JSON.stringify(key)} is being deleted; wait until it is gone before applying it again`, { kind, key });
  }
}
