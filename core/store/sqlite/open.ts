/**
 * Opening the SQLite store: file and pragmas chosen for durability, then migrations.
 *
 * - WAL: readers never block the writer, and a crash never leaves a half-written page.
 * - synchronous=FULL: a commit is on disk (WAL fsync'd) before the transaction returns — a
 *   reservation, a volume intent or an applied app survives power loss, not just a crash.
 * - foreign_keys=ON: SQLite's default is off.
 * - busy_timeout: a second process (a CLI reading the same file) waits for the lock instead of failing.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { StoreUsageError } from '../errors';
import { migrate, MIGRATIONS } from './migrations';
import type { Migration } from './migrations';
import { SqliteStore } from './sqlite-store';

export const STORE_FILE_NAME = 'berth.db';

export interface SqliteStoreOptions {
  /** Database file; created with its directory (mode 0700/0600: it holds secrets). */
  readonly path: string;
  /** Clock for record and event times (tests). */
  readonly now?: () => number;
  /** How long to wait for another process's write lock, in ms (default 5000). */
  readonly busyTimeoutMs?: number;
  /** @internal tests of the migration mechanism */
  readonly migrations?: readonly Migration[];
}

export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const { path } = options;
  if (path === ':memory:' || path === '') throw new StoreUsageError('the SQLite store needs a file path (WAL does not apply to memory databases)');
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const isNew = !existsSync(path);
  const db = new Database(path);
  try {
    if (isNew) chmodSync(path, 0o600);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (String(mode).toLowerCase() !== 'wal') throw new StoreUsageError(`could not enable WAL on ${path} (journal_mode is ${String(mode)})`);
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    migrate(db, options.migrations ?? MIGRATIONS, path);
    // The WAL and shared-memory files hold the same data (secrets included) as the database.
    for (const companion of [`${path}-wal`, `${path}-shm`]) if (existsSync(companion)) chmodSync(companion, 0o600);
    return new SqliteStore(db, options.now);
  } catch (error) {
    db.close();
    throw error;
  }
}

/** The store of a data directory (`berth up`, `berth server --data-dir`): DATA_DIR/berth.db. */
export function openStoreInDataDir(dataDir: string, options: Omit<SqliteStoreOptions, 'path'> = {}): SqliteStore {
  return openSqliteStore({ ...options, path: join(dataDir, STORE_FILE_NAME) });
}
