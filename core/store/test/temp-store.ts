/** Real SQLite files in a fresh temporary directory per test. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '..';
import type { SqliteStore, SqliteStoreOptions } from '..';

export interface TempStore {
  readonly dir: string;
  readonly path: string;
  store: SqliteStore;
  /** Closes and opens the same file again, as a server restart would. */
  reopen(): Promise<SqliteStore>;
  cleanup(): Promise<void>;
}

export function tempStore(options: Omit<SqliteStoreOptions, 'path'> = {}): TempStore {
  const dir = mkdtempSync(join(tmpdir(), 'berth-store-'));
  const path = join(dir, 'data', 'berth.db');
  const temp: TempStore = {
    dir,
    path,
    store: openSqliteStore({ ...options, path }),
    async reopen() {
      await temp.store.close();
      temp.store = openSqliteStore({ ...options, path });
      return temp.store;
    },
    async cleanup() {
      await temp.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return temp;
}
