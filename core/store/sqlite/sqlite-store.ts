/**
 * The SQLite Store. One connection; every transaction is BEGIN IMMEDIATE (the write lock is taken
 * before the first read, so check-then-write sequences are serializable also across processes
 * sharing the file), reads are deferred transactions (one consistent WAL snapshot).
 *
 * better-sqlite3 is synchronous: a transaction runs to completion before any other JS runs, so
 * callers in the same process never interleave inside one. The promise-returning API exists for
 * the contract (an etcd store will be asynchronous).
 */
import type Database from 'better-sqlite3';
import { LedgerInvariantError } from '../../domain';
import type { LedgerSnapshot, Reservation } from '../../domain';
import type { LedgerStore, LedgerTx } from '../../reservations';
import { StoreUsageError } from '../errors';
import type { AttachmentRecord, ClaimRecord, SnapshotRecord, TaskRecord, VolumeRecord } from '../records';
import { attachmentId } from '../ids';
import type { ClaimFilter, SnapshotFilter, Store, StoreReader, StoreTx, TaskFilter, VolumeFilter } from '../store';
import { SqliteApps } from './apps';
import { DocumentTable } from './document-table';
import { SqliteEvents } from './events';
import { SqliteLedgerTx } from './ledger-tx';
import { SqliteNodes } from './nodes';
import { SqlitePlugins } from './plugins';
import { SqliteSecrets } from './secrets';
import { SqliteStorageClasses } from './storage-classes';
import { TxState } from './tx-state';

type Work<T> = () => T;

const SYNCHRONOUS_NAMES = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

export interface StoreDiagnostics {
  readonly path: string;
  readonly journalMode: string;
  readonly synchronous: string;
  readonly foreignKeys: boolean;
  readonly busyTimeoutMs: number;
  readonly schemaVersion: number;
}

export class SqliteStore implements Store {
  readonly ledger: LedgerStore;
  /** The repositories; valid only inside `transaction`/`read` callbacks (writes check). */
  private readonly repos: StoreTx;
  private readonly state: TxState;
  private readonly runInTransaction: Database.Transaction<(work: Work<unknown>) => unknown>;
  private readonly ledgerTx: SqliteLedgerTx;

  constructor(
    private readonly db: Database.Database,
    now: () => number = Date.now,
  ) {
    this.state = new TxState(db);
    this.runInTransaction = db.transaction((work: Work<unknown>) => work());
    this.ledgerTx = new SqliteLedgerTx(db, this.state);
    const table = <R extends { version: number; createdAt: number; updatedAt: number }, F extends object>(
      name: string,
      kind: string,
      keyOf: (r: Omit<R, 'version' | 'createdAt' | 'updatedAt'>) => string,
      indexed: Record<string, string>,
    ) => new DocumentTable<R, F>(db, { table: name, kind, keyOf, indexed }, this.state, now);
    this.repos = {
      apps: new SqliteApps(db, this.state, now),
      storageClasses: new SqliteStorageClasses(db, this.state, now),
      plugins: new SqlitePlugins(db, this.state, now),
      secrets: new SqliteSecrets(db, this.state, now),
      nodes: new SqliteNodes(db, this.state, now, this.ledgerTx),
      tasks: table<TaskRecord, TaskFilter>('tasks', 'task', (t) => t.id, { app: 'app', nodeId: 'node_id', state: 'state' }),
      claims: table<ClaimRecord, ClaimFilter>('claims', 'claim', (c) => c.id, { app: 'app', state: 'state', volumeId: 'volume_id' }),
      volumes: table<VolumeRecord, VolumeFilter>('volumes', 'volume', (v) => v.id, {
        plugin: 'plugin',
        state: 'state',
        claimId: 'claim_id',
        nodeId: 'node_id',
        csiVolumeId: 'csi_volume_id',
      }),
      attachments: table<AttachmentRecord, { volumeId?: string; nodeId?: string }>('volume_attachments', 'volume attachment', (a) => attachmentId(a.volumeId, a.nodeId), {
        volumeId: 'volume_id',
        nodeId: 'node_id',
      }),
      snapshots: table<SnapshotRecord, SnapshotFilter>('snapshots', 'snapshot', (s) => s.id, {
        plugin: 'plugin',
        state: 'state',
        sourceVolumeId: 'source_volume_id',
        groupId: 'group_id',
        csiSnapshotId: 'csi_snapshot_id',
      }),
      events: new SqliteEvents(db, this.state, now),
      ledger: this.ledgerTx,
    };
    this.ledger = new SqliteLedgerStore(this, this.ledgerTx);
  }

  /** Path of the database file. */
  get path(): string {
    return this.db.name;
  }

  /** The settings durability depends on, for the server's startup log and for tests. */
  diagnostics(): StoreDiagnostics {
    this.state.assertOpen();
    const pragma = (name: string): unknown => this.db.pragma(name, { simple: true });
    const version = this.db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number };
    return {
      path: this.db.name,
      journalMode: String(pragma('journal_mode')),
      synchronous: SYNCHRONOUS_NAMES[Number(pragma('synchronous'))] ?? String(pragma('synchronous')),
      foreignKeys: Number(pragma('foreign_keys')) === 1,
      busyTimeoutMs: Number(pragma('busy_timeout')),
      schemaVersion: version.v,
    };
  }

  async transaction<T>(fn: (tx: StoreTx) => T): Promise<T> {
    return this.writeSync(() => fn(this.repos), () => new StoreUsageError('transaction callbacks must be synchronous (no await inside)'));
  }

  async read<T>(fn: (tx: StoreReader) => T): Promise<T> {
    return this.readSync(() => fn(this.repos));
  }

  async close(): Promise<void> {
    if (this.state.closed) return;
    this.state.closed = true;
    this.db.close();
  }

  /**
   * Runs `work` in one IMMEDIATE transaction. An async callback is refused and rolled back: its
   * code after the first await would run outside the transaction.
   * @internal shared with the ledger store
   */
  writeSync<T>(work: Work<T>, asyncError: () => Error): T {
    this.enter('write');
    try {
      return this.runInTransaction.immediate(() => {
        const result = work();
        if (isThenable(result)) throw asyncError();
        return result;
      }) as T;
    } finally {
      this.state.mode = 'none';
    }
  }

  /** @internal */
  readSync<T>(work: Work<T>): T {
    this.enter('read');
    try {
      return this.runInTransaction.deferred(() => {
        const result = work();
        if (isThenable(result)) throw new StoreUsageError('read callbacks must be synchronous (no await inside)');
        return result;
      }) as T;
    } finally {
      this.state.mode = 'none';
    }
  }

  private enter(mode: 'read' | 'write'): void {
    this.state.assertOpen();
    if (this.state.mode !== 'none') {
      throw new StoreUsageError(`a ${mode} transaction was started inside a ${this.state.mode} transaction; use the tx you were given`);
    }
    this.state.mode = mode;
  }
}

/** core/reservations' LedgerStore over the same database and transactions. */
class SqliteLedgerStore implements LedgerStore {
  constructor(
    private readonly store: SqliteStore,
    private readonly tx: SqliteLedgerTx,
  ) {}

  async transaction<T>(fn: (tx: LedgerTx) => T): Promise<T> {
    return this.store.writeSync(() => fn(this.tx), () => new LedgerInvariantError('transaction callbacks must be synchronous (no await inside)'));
  }

  async snapshot(): Promise<LedgerSnapshot> {
    return this.store.readSync(() => ({ nodes: new Map(this.tx.allNodeStates().map((s) => [s.nodeId, s])) }));
  }

  async reservationsOf(holderIds: readonly string[]): Promise<ReadonlyMap<string, Reservation>> {
    return this.store.readSync(() => this.tx.reservationsOf(holderIds));
  }
}

function isThenable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
