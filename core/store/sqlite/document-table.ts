/**
 * One table of JSON documents with optimistic concurrency — the shared mechanics of every
 * repository: get / list with equality filters on indexed columns / create / update / delete.
 * The record lives in `doc`; indexed columns are derived from it on every write, so they can never
 * disagree with the document.
 */
import type Database from 'better-sqlite3';
import { AlreadyExistsError, ConflictError, CorruptRecordError, NotFoundError, StoreUsageError } from '../errors';
import type { Body, Meta } from '../records';
import type { Patch, WriteOptions } from '../store';
import type { TxState } from './tx-state';

type SqlValue = string | number | null;

export interface TableDefinition<R extends Meta> {
  readonly table: string;
  /** For messages: "app", "task"… */
  readonly kind: string;
  readonly keyOf: (body: Body<R>) => string;
  /** Record field → indexed column. Filters may use exactly these fields. */
  readonly indexed: Readonly<Record<string, string>>;
  /** Record body → JSON-able value (default: the body). Secrets reveal their values here. */
  readonly encode?: (body: Body<R>) => unknown;
  /** JSON value → record body (default: as is). */
  readonly decode?: (doc: Record<string, unknown>) => Body<R>;
}

interface Row {
  id: string;
  version: number;
  created_at: number;
  updated_at: number;
  doc: string;
}

export class DocumentTable<R extends Meta, F extends object = Record<never, never>> {
  private readonly selectOne: Database.Statement<[string], Row>;
  private readonly insertRow: Database.Statement<Record<string, SqlValue>>;
  private readonly updateRow: Database.Statement<Record<string, SqlValue>>;
  private readonly deleteRow: Database.Statement<[string]>;
  private readonly listStatements = new Map<string, Database.Statement<SqlValue[], Row>>();
  private readonly indexedFields: readonly string[];

  constructor(
    private readonly db: Database.Database,
    private readonly def: TableDefinition<R>,
    private readonly tx: TxState,
    private readonly now: () => number,
  ) {
    this.indexedFields = Object.keys(def.indexed);
    const columns = Object.values(def.indexed);
    const names = ['id', 'version', 'created_at', 'updated_at', 'doc', ...columns];
    this.selectOne = db.prepare(`SELECT id, version, created_at, updated_at, doc FROM ${def.table} WHERE id = ?`);
    this.insertRow = db.prepare(`INSERT INTO ${def.table} (${names.join(', ')}) VALUES (${names.map((n) => `@${n}`).join(', ')})`);
    const sets = ['version', 'updated_at', 'doc', ...columns].map((n) => `${n} = @${n}`).join(', ');
    this.updateRow = db.prepare(`UPDATE ${def.table} SET ${sets} WHERE id = @id AND version = @expected`);
    this.deleteRow = db.prepare(`DELETE FROM ${def.table} WHERE id = ?`);
  }

  get kind(): string {
    return this.def.kind;
  }

  get(key: string): R | undefined {
    this.tx.assertOpen();
    const row = this.selectOne.get(key);
    return row ? this.decodeRow(row) : undefined;
  }

  require(key: string): R {
    const record = this.get(key);
    if (!record) throw new NotFoundError(this.def.kind, key);
    return record;
  }

  /** Records matching every given filter field, sorted by key. */
  list(filterFields?: F): R[] {
    this.tx.assertOpen();
    const filter = (filterFields ?? {}) as Readonly<Record<string, unknown>>;
    const fields = Object.keys(filter).filter((f) => filter[f] !== undefined).sort();
    for (const f of fields) {
      if (!this.indexedFields.includes(f)) throw new StoreUsageError(`${this.def.table} cannot be filtered by ${f}`);
    }
    return this.listStatement(fields)
      .all(...fields.map((f) => toSql(filter[f])))
      .map((row) => this.decodeRow(row));
  }

  /** @throws AlreadyExistsError */
  create(body: Body<R>): R {
    this.tx.assertWritable();
    const key = this.def.keyOf(body);
    if (this.selectOne.get(key)) throw new AlreadyExistsError(this.def.kind, key);
    const at = this.now();
    this.insertRow.run({ id: key, version: 1, created_at: at, updated_at: at, ...this.columns(body) });
    return this.withMeta(body, 1, at, at);
  }

  /** @throws NotFoundError, ConflictError */
  update(key: string, patch: Patch<R>, options: WriteOptions = {}): R {
    this.tx.assertWritable();
    const current = this.get(key);
    if (!current) {
      if (options.expectedVersion !== undefined) throw new ConflictError(this.def.kind, key, options.expectedVersion, undefined);
      throw new NotFoundError(this.def.kind, key);
    }
    checkVersion(this.def.kind, key, options, current.version);
    const changes = typeof patch === 'function' ? patch(current) : patch;
    const body = { ...stripMeta(current), ...changes } as Body<R>;
    if (this.def.keyOf(body) !== key) throw new StoreUsageError(`the key of ${this.def.kind} ${key} cannot change`);
    const at = this.now();
    const result = this.updateRow.run({ id: key, expected: current.version, version: current.version + 1, updated_at: at, ...this.columns(body) });
    // Cannot happen under the write lock; kept so a broken isolation shows up as a conflict, not a lost update.
    if (result.changes !== 1) throw new ConflictError(this.def.kind, key, current.version, undefined);
    return this.withMeta(body, current.version + 1, current.createdAt, at);
  }

  /** Idempotent unless `expectedVersion` is given. @throws ConflictError */
  delete(key: string, options: WriteOptions = {}): R | undefined {
    this.tx.assertWritable();
    const current = this.get(key);
    if (!current) {
      if (options.expectedVersion !== undefined && options.expectedVersion !== 0) {
        throw new ConflictError(this.def.kind, key, options.expectedVersion, undefined);
      }
      return undefined;
    }
    checkVersion(this.def.kind, key, options, current.version);
    this.deleteRow.run(key);
    return current;
  }

  private listStatement(fields: readonly string[]): Database.Statement<SqlValue[], Row> {
    const signature = fields.join(',');
    let statement = this.listStatements.get(signature);
    if (!statement) {
      const where = fields.length ? ` WHERE ${fields.map((f) => `${this.def.indexed[f]} IS ?`).join(' AND ')}` : '';
      statement = this.db.prepare<SqlValue[], Row>(`SELECT id, version, created_at, updated_at, doc FROM ${this.def.table}${where} ORDER BY id`);
      this.listStatements.set(signature, statement);
    }
    return statement;
  }

  private columns(body: Body<R>): Record<string, SqlValue> {
    const out: Record<string, SqlValue> = { doc: JSON.stringify(this.def.encode ? this.def.encode(body) : body) };
    const source = body as Record<string, unknown>;
    for (const [field, column] of Object.entries(this.def.indexed)) out[column] = toSql(source[field]);
    return out;
  }

  private decodeRow(row: Row): R {
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(row.doc) as Record<string, unknown>;
    } catch (error) {
      throw new CorruptRecordError(this.def.table, row.id, (error as Error).message);
    }
    const body = this.def.decode ? this.def.decode(doc) : (doc as Body<R>);
    return this.withMeta(body, row.version, row.created_at, row.updated_at);
  }

  private withMeta(body: Body<R>, version: number, createdAt: number, updatedAt: number): R {
    return { ...body, version, createdAt, updatedAt } as unknown as R;
  }
}

function checkVersion(kind: string, key: string, options: WriteOptions, actual: number): void {
  if (options.expectedVersion !== undefined && options.expectedVersion !== actual) {
    throw new ConflictError(kind, key, options.expectedVersion, actual);
  }
}

function stripMeta<R extends Meta>(record: R): Body<R> {
  const { version: _v, createdAt: _c, updatedAt: _u, ...body } = record;
  return body as Body<R>;
}

function toSql(value: unknown): SqlValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  throw new StoreUsageError(`cannot index a value of type ${typeof value}`);
}
