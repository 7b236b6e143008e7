/** Storage classes: named specs with apply semantics. */
import type Database from 'better-sqlite3';
import type { StorageClassSpec } from '../../manifests';
import type { StorageClassRecord } from '../records';
import type { Applied, NamedSpecRepository, WriteOptions } from '../store';
import { DocumentTable } from './document-table';
import { applySpec } from './named-spec';
import type { TxState } from './tx-state';

export class SqliteStorageClasses implements NamedSpecRepository<StorageClassRecord, StorageClassSpec> {
  private readonly table: DocumentTable<StorageClassRecord>;

  constructor(db: Database.Database, tx: TxState, now: () => number) {
    this.table = new DocumentTable<StorageClassRecord>(db, { table: 'storage_classes', kind: 'storage class', keyOf: (s) => s.name, indexed: {} }, tx, now);
  }

  get(name: string): StorageClassRecord | undefined {
    return this.table.get(name);
  }

  require(name: string): StorageClassRecord {
    return this.table.require(name);
  }

  list(): StorageClassRecord[] {
    return this.table.list();
  }

  apply(name: string, spec: StorageClassSpec, options: WriteOptions = {}): Applied<StorageClassRecord> {
    return applySpec(this.table, name, spec, options, (s) => ({ name, spec: s }));
  }

  delete(name: string, options: WriteOptions = {}): StorageClassRecord | undefined {
    return this.table.delete(name, options);
  }
}
