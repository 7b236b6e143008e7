/**
 * Where repository objects live. The repository only ever needs these few operations on named
 * objects, so an object store (S3 and friends: put is atomic, no rename needed) can implement the
 * same interface later. Names are slash-separated relative paths such as `data/3f/3f…` or `config`.
 */
export interface Backend {
  /** A human-readable location for messages (a path or a URL). */
  readonly location: string;
  /** Whole object; throws `ObjectMissingError` when it does not exist. */
  read(name: string): Promise<Buffer>;
  /** `length` bytes from `offset`; a short object is an error (a truncated pack must not look fine). */
  readRange(name: string, offset: number, length: number): Promise<Buffer>;
  /**
   * Stores an object atomically and durably: after the promise resolves the object is complete on
   * stable storage; if the process dies before, the object does not exist (never half-written).
   * Overwrites an existing object of the same name (also atomically).
   */
  write(name: string, data: Buffer | readonly Buffer[]): Promise<void>;
  /** Like write, but fails with `ObjectExistsError` instead of overwriting (lock files, config). */
  create(name: string, data: Buffer): Promise<void>;
  exists(name: string): Promise<boolean>;
  /** Size in bytes, or undefined when missing. */
  size(name: string): Promise<number | undefined>;
  /** Names of every object under a prefix folder (e.g. `data`), recursive, in no particular order. */
  list(prefix: string): Promise<string[]>;
  /** Deletes an object; deleting a missing object succeeds (prune may be re-run after a crash). */
  delete(name: string): Promise<void>;
  /**
   * Removes temporary leftovers of crashed writers older than the given age and returns their names
   * (backends whose writes need no temporaries return nothing).
   */
  removeTemporary(olderThanMs: number): Promise<string[]>;
  /** Atomic rename within the backend. */
  rename(from: string, to: string): Promise<void>;
}

export class ObjectMissingError extends Error {
  constructor(readonly object: string) {
    super(`object ${object} does not exist`);
    this.name = 'ObjectMissingError';
  }
}

export class ObjectExistsError extends Error {
  constructor(readonly object: string) {
    super(`object ${object} already exists`);
    this.name = 'ObjectExistsError';
  }
}
