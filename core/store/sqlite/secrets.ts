/**
 * Secrets. Values are revealed only when written to the row; every record read back holds a
 * redacting SecretData, so returning a record from the API or logging it cannot leak a value.
 */
import type Database from 'better-sqlite3';
import { SecretData } from '../../manifests';
import { ConflictError } from '../errors';
import type { SecretRecord } from '../records';
import type { Applied, SecretRepository, WriteOptions } from '../store';
import { DocumentTable } from './document-table';
import type { TxState } from './tx-state';

export class SqliteSecrets implements SecretRepository {
  private readonly table: DocumentTable<SecretRecord>;

  constructor(db: Database.Database, tx: TxState, now: () => number) {
    this.table = new DocumentTable<SecretRecord>(
      db,
      {
        table: 'secrets',
        kind: 'secret',
        keyOf: (s) => s.name,
        indexed: {},
        encode: (s) => ({ name: s.name, data: s.data.reveal() }),
        decode: (doc) => ({ name: String(doc.name), data: new SecretData(doc.data as Record<string, string>) }),
      },
      tx,
      now,
    );
  }

  get(name: string): SecretRecord | undefined {
    return this.table.get(name);
  }

  require(name: string): SecretRecord {
    return this.table.require(name);
  }

  list(): SecretRecord[] {
    return this.table.list();
  }

  apply(name: string, data: SecretData, options: WriteOptions = {}): Applied<SecretRecord> {
    const current = this.table.get(name);
    if (options.expectedVersion !== undefined && options.expectedVersion !== (current?.version ?? 0)) {
      throw new ConflictError('secret', name, options.expectedVersion, current?.version);
    }
    if (!current) return { record: this.table.create({ name, data }), change: 'created' };
    if (current.data.equals(data)) return { record: current, change: 'unchanged' };
    return { record: this.table.update(name, { data }), change: 'updated' };
  }

  delete(name: string, options: WriteOptions = {}): SecretRecord | undefined {
    return this.table.delete(name, options);
  }
}
