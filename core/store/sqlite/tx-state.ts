/**
 * Which kind of transaction the connection is in. Repositories ask before every write, so a write
 * outside `store.transaction` (or inside `store.read`) fails loudly instead of auto-committing alone.
 */
import type Database from 'better-sqlite3';
import { StoreUsageError } from '../errors';

export type TxMode = 'none' | 'read' | 'write';

export class TxState {
  mode: TxMode = 'none';
  closed = false;

  constructor(private readonly db: Database.Database) {}

  assertWritable(): void {
    if (this.mode !== 'write' || !this.db.inTransaction) {
      throw new StoreUsageError(this.mode === 'read' ? 'write attempted inside store.read()' : 'write outside store.transaction()');
    }
  }

  assertOpen(): void {
    if (this.closed) throw new StoreUsageError('the store is closed');
  }
}
