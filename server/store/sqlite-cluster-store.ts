import Database from 'better-sqlite3';
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ClusterStore, Collection, RecordKind, RecordKinds, StoreChange } from './cluster-store';
import { compareIds, deepFreeze, type IndexFunctions, RecordCache } from './record-cache';
import type { EventRecord } from './records';
import { RecordSealer } from './record-sealing';

const MIGRATIONS: string[] = [
  `CREATE TABLE objects (kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (kind, id)) WITHOUT ROWID;
   CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, object TEXT NOT NULL, reason TEXT NOT NULL, message TEXT NOT NULL);
   CREATE INDEX events_by_object ON events (object, seq);`,
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
   INSERT INTO meta (key, value) VALUES ('revision', 0);`,
];

const EVENT_TRIM_EVERY = 1000;
/** Longest an event waits for a commit to ride on before it is written on its own. */
const EVENT_FLUSH_MS = 20;

/** The kinds whose records hold secrets: Secret values, backup repositories' passphrases. Stored sealed. */
const SEALED_KINDS: ReadonlySet<RecordKind> = new Set<RecordKind>(['secret', 'repository']);

export interface SqliteStoreOptions {
  /** How many of the newest events are kept (older ones are trimmed). */
  eventsKept?: number;
  /** The key that seals secrets at rest: default `store.key` beside the database, created at first open. */
  keyFile?: string;
}

/** A write not committed yet: the record (frozen) and its JSON, or null for a delete. */
type PendingWrite = { kind: RecordKind; id: string; entry: { record: unknown; json: string } | null };

/**
 * The server's records in SQLite: one JSON document per (kind, id), WAL with synchronous=FULL so a
 * committed transaction survives a power cut, numbered migrations applied at open.
 *
 * Every record also lives in memory (loaded once at open): reads never touch SQLite. A transaction's
 * writes go to SQLite at once and to an overlay that its own reads see; at commit the overlay moves
 * into the cache, the revision advances and watchers hear of each change. A put that changes nothing
 * writes nothing and announces nothing.
 */
export class SqliteClusterStore implements ClusterStore {
  readonly db: Database.Database;
  readonly apps;
  readonly storageClasses;
  readonly plugins;
  readonly secrets;
  readonly tasks;
  readonly claims;
  readonly volumes;
  readonly nodes;
  readonly recoveryPoints;
  readonly repositories;
  readonly backups;
  readonly restores;
  readonly schedules;

  private readonly caches = new Map<RecordKind, RecordCache<unknown, string>>();
  /** One overlay per open (nested) transaction, innermost last. */
  private readonly overlays: Map<string, PendingWrite>[] = [];
  /** Run when the outermost transaction ends, committed or not (collections drop what they noted about its writes). */
  private readonly onOutermostEnd: (() => void)[] = [];
  private readonly watchers = new Set<(changes: readonly StoreChange[]) => void>();
  private currentRevision: number;
  private readonly statements;
  /** Transactions waiting for the next group commit (commitSoon). */
  private queued: { fn: () => unknown; settle: (error: unknown, result?: unknown) => void }[] = [];
  /** Events not written yet: they ride on the next commit, or are flushed within a few milliseconds. */
  private pendingEvents: { time: string; object: string; reason: string; message: string }[] = [];
  private eventFlush: NodeJS.Timeout | undefined;
  /**
   * Runs a function in a transaction (a savepoint when one is open). Made once: better-sqlite3 builds a
   * new wrapper per `db.transaction()` call, and a group commit opens one savepoint per queued item.
   */
  private readonly inTransaction: <T>(fn: () => T) => T;

  /** Seals the kinds that hold secrets where they meet SQLite (record-sealing.ts). */
  private readonly sealer: RecordSealer;
  private readonly eventsKept: number;

  constructor(file: string, options: SqliteStoreOptions = {}) {
    this.eventsKept = options.eventsKept ?? 50_000;
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // The store holds secrets: owner-only, also when the file or its directory already existed.
    chmodSync(dirname(file), 0o700);
    this.db = new Database(file);
    chmodSync(file, 0o600);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
    this.statements = {
      put: this.db.prepare('INSERT INTO objects (kind, id, body) VALUES (?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body'),
      del: this.db.prepare('DELETE FROM objects WHERE kind = ? AND id = ?'),
      setRevision: this.db.prepare("UPDATE meta SET value = ? WHERE key = 'revision'"),
      insertEvent: this.db.prepare('INSERT INTO events (time, object, reason, message) VALUES (?, ?, ?, ?)'),
    };
    // better-sqlite3's typings lose the generic; the wrapper returns what `fn` returns.
    this.inTransaction = this.db.transaction((fn: () => unknown) => fn()).immediate as <T>(fn: () => T) => T;
    this.currentRevision = (this.db.prepare("SELECT value FROM meta WHERE key = 'revision'").get() as { value: number }).value;
    this.sealer = this.closedOnFailure(() => RecordSealer.open(options.keyFile ?? join(dirname(file), 'store.key'), () => !this.holdsSealedRecords()));
    this.apps = this.collection('app', {});
    this.storageClasses = this.collection('storageclass', {});
    this.plugins = this.collection('plugin', {});
    this.secrets = this.collection('secret', {});
    this.tasks = this.collection('task', { app: (t) => t.app, node: (t) => t.nodeId, state: (t) => t.state });
    this.claims = this.collection('claim', {
      app: (c) => c.app,
      storageClass: (c) => c.storageClass,
      // Claims still waiting for their data from a backup, by instance (`<app>/<instance>`): the few a
      // task's move can matter to, found without reading the app's other claims.
      awaitingData: (c) => (c.dataSource?.kind === 'backup' && !c.dataRestored ? `${c.app}/${c.instance}` : undefined),
    });
    this.volumes = this.collection('volume', { node: (v) => v.nodeId, claim: (v) => v.claimId });
    this.nodes = this.collection('node', {});
    this.recoveryPoints = this.collection('recoverypoint', { app: (r) => r.app });
    this.repositories = this.collection('repository', {});
    this.backups = this.collection('backup', { app: (b) => b.app });
    // Restores under way by their app: a task's move wakes only the restore of its own app.
    this.restores = this.collection('restore', { restoringApp: (r) => (r.state === 'restoring' ? r.app : undefined) });
    this.schedules = this.collection('schedule', {});
    this.closedOnFailure(() => this.load());
  }

  /** A store that cannot open (its key missing or wrong) lets go of the database file before it says so. */
  private closedOnFailure<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  get revision(): number {
    return this.currentRevision;
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)');
    const done = new Set((this.db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
    MIGRATIONS.forEach((sql, i) => {
      if (done.has(i + 1)) return;
      this.db
        .transaction(() => {
          this.db.exec(sql);
          this.db.prepare('INSERT INTO schema_migrations (version) VALUES (?)').run(i + 1);
        })
        .immediate();
    });
  }

  /** Reads every record once, at open; a secret-holding record still stored plain (from before sealing) is sealed now. */
  private load(): void {
    const unsealed: { kind: RecordKind; id: string; json: string }[] = [];
    for (const row of this.db.prepare('SELECT kind, id, body FROM objects').iterate() as Iterable<{ kind: RecordKind; id: string; body: string }>) {
      const json = this.sealer.open(row.body, `${row.kind} ${row.id}`);
      if (SEALED_KINDS.has(row.kind) && !RecordSealer.isSealed(row.body)) unsealed.push({ kind: row.kind, id: row.id, json });
      this.caches.get(row.kind)?.set(row.id, { record: deepFreeze(JSON.parse(json)), json });
    }
    if (unsealed.length === 0) return;
    this.db
      .transaction(() => {
        for (const r of unsealed) this.statements.put.run(r.kind, r.id, this.sealer.seal(r.json));
      })
      .immediate();
  }

  private holdsSealedRecords(): boolean {
    return this.db.prepare("SELECT 1 FROM objects WHERE body LIKE 'berth-sealed:%' LIMIT 1").get() !== undefined;
  }

  private collection<K extends RecordKind, I extends string = never>(kind: K, indexes: IndexFunctions<RecordKinds[K], I>): Collection<RecordKinds[K], I> {
    type T = RecordKinds[K];
    const cache = new RecordCache<T, I>(indexes);
    this.caches.set(kind, cache as unknown as RecordCache<unknown, string>);
    const key = (id: string) => `${kind}\u0000${id}`;
    const pendingOf = (id: string): PendingWrite | undefined => {
      if (this.overlays.length === 0) return undefined;
      const k = key(id);
      for (let i = this.overlays.length - 1; i >= 0; i--) {
        const w = this.overlays[i].get(k);
        if (w) return w;
      }
      return undefined;
    };
    /** This kind's writes in the open transactions, innermost winning. */
    const pendingWrites = (): Map<string, PendingWrite> => {
      const out = new Map<string, PendingWrite>();
      for (const overlay of this.overlays) for (const w of overlay.values()) if (w.kind === kind) out.set(w.id, w);
      return out;
    };
    /**
     * Ids written in the open transaction, by the value each index gave the record written: `where` adds
     * them to the committed ids instead of walking every pending write (a group commit holds thousands).
     * Never pruned while the transaction is open: `where` checks each record it returns.
     */
    const pendingIndex = new Map<I, Map<string, Set<string>>>();
    const indexNames = Object.keys(indexes) as I[];
    this.onOutermostEnd.push(() => pendingIndex.clear());
    const get = (id: string): T | undefined => {
      const w = pendingOf(id);
      if (w) return w.entry?.record as T | undefined;
      return cache.get(id)?.record;
    };
    const list = (): T[] => {
      const pending = this.overlays.length > 0 ? pendingWrites() : undefined;
      if (!pending || pending.size === 0) return [...cache.list()];
      const ids = new Set([...cache.ids(), ...pending.keys()]);
      return [...ids]
        .sort(compareIds)
        .map(get)
        .filter((r): r is T => r !== undefined);
    };
    return {
      get,
      list,
      listJson: () => (this.overlays.length > 0 && pendingWrites().size > 0 ? JSON.stringify(list()) : cache.listJson()),
      count: () =>
        this.overlays.length > 0 && pendingWrites().size > 0
          ? [...new Set([...cache.ids(), ...pendingWrites().keys()])].filter((id) => get(id) !== undefined).length
          : cache.size,
      where: (index, value) => {
        const ids = new Set(cache.idsWhere(index, value));
        const pending = this.overlays.length > 0;
        if (pending) for (const id of pendingIndex.get(index)?.get(value) ?? []) ids.add(id);
        return [...ids]
          .sort(compareIds)
          .map(get)
          .filter((r): r is T => r !== undefined && (!pending || cache.indexValue(index, r) === value));
      },
      put: (id, record) => {
        const json = JSON.stringify(record);
        const current = pendingOf(id)?.entry ?? cache.get(id);
        if (current?.json === json) return;
        const entry = { record: deepFreeze(JSON.parse(json)) as T, json };
        this.write({ kind, id, entry });
        if (this.overlays.length === 0) return; // committed already
        for (const name of indexNames) {
          const value = cache.indexValue(name, entry.record);
          if (value === undefined) continue;
          const byValue = pendingIndex.get(name) ?? new Map<string, Set<string>>();
          pendingIndex.set(name, byValue);
          const ids = byValue.get(value) ?? new Set<string>();
          byValue.set(value, ids);
          ids.add(id);
        }
      },
      delete: (id) => {
        const w = pendingOf(id);
        if (w ? w.entry === null : !cache.get(id)) return;
        this.write({ kind, id, entry: null });
      },
    };
  }

  private write(w: PendingWrite): void {
    if (this.overlays.length === 0) {
      this.transaction(() => this.write(w));
      return;
    }
    if (w.entry) this.statements.put.run(w.kind, w.id, SEALED_KINDS.has(w.kind) ? this.sealer.seal(w.entry.json) : w.entry.json);
    else this.statements.del.run(w.kind, w.id);
    this.overlays[this.overlays.length - 1].set(`${w.kind}\u0000${w.id}`, w);
  }

  transaction<T>(fn: () => T): T {
    const outermost = this.overlays.length === 0;
    const overlay = new Map<string, PendingWrite>();
    this.overlays.push(overlay);
    let committed = false;
    try {
      const result = this.inTransaction(() => {
        const r = fn();
        if (outermost && overlay.size > 0) this.statements.setRevision.run(this.currentRevision + 1);
        if (outermost) this.writeEvents();
        return r;
      });
      committed = true;
      return result;
    } finally {
      this.overlays.pop();
      if (outermost) for (const end of this.onOutermostEnd) end();
      if (committed) {
        if (outermost) this.publish(overlay);
        else for (const [k, w] of overlay) this.overlays[this.overlays.length - 1].set(k, w);
      }
    }
  }

  /** Moves a committed transaction's writes into the cache and tells the watchers. */
  private publish(overlay: Map<string, PendingWrite>): void {
    if (overlay.size === 0) return;
    const revision = ++this.currentRevision;
    const changes: StoreChange[] = [];
    for (const w of overlay.values()) {
      const cache = this.caches.get(w.kind)!;
      const before = cache.get(w.id)?.record;
      cache.set(w.id, w.entry ?? undefined);
      changes.push({ kind: w.kind, id: w.id, revision, before, after: w.entry?.record } as StoreChange);
    }
    for (const watcher of [...this.watchers]) {
      try {
        watcher(changes);
      } catch (err) {
        // A watcher only schedules work; one that throws must not undo a committed write or starve the others.
        process.emitWarning(`store watcher failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  /**
   * Group commit: runs `fn` as its own (nested) transaction inside one shared transaction with every other
   * `commitSoon` of this turn of the event loop, and resolves once that is committed — durable, like
   * `transaction`, for one fsync instead of one each. `fn` runs later than the call: it must read what it
   * depends on itself. A `fn` that throws rejects its own promise and undoes only its own writes.
   */
  commitSoon<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queued.push({ fn, settle: (error, result) => (error === undefined ? resolve(result as T) : reject(error)) });
      if (this.queued.length === 1) setImmediate(() => this.flushQueued());
    });
  }

  private flushQueued(): void {
    const batch = this.queued;
    this.queued = [];
    const outcomes: { error?: unknown; result?: unknown }[] = [];
    try {
      this.transaction(() => {
        for (const item of batch) {
          try {
            outcomes.push({ result: this.transaction(item.fn) });
          } catch (error) {
            outcomes.push({ error: error ?? new Error('transaction failed') });
          }
        }
      });
    } catch (error) {
      for (const item of batch) item.settle(error ?? new Error('commit failed'));
      return;
    }
    for (const [i, item] of batch.entries()) item.settle(outcomes[i].error, outcomes[i].result);
  }

  watch(listener: (changes: readonly StoreChange[]) => void): () => void {
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  }

  /**
   * Events are a bounded history, not a log of record: they are written with the next commit (or within
   * EVENT_FLUSH_MS), so a busy control loop pays one fsync for many of them, not one each. A crash may
   * lose the last few milliseconds of events, never a record.
   */
  appendEvent(event: Omit<EventRecord, 'time'>): void {
    this.pendingEvents.push({ time: new Date().toISOString(), object: event.object, reason: event.reason, message: event.message });
    this.eventFlush ??= setTimeout(() => this.flushEvents(), EVENT_FLUSH_MS);
  }

  private flushEvents(): void {
    if (this.pendingEvents.length === 0 || !this.db.open) return;
    if (this.overlays.length > 0) return; // the open transaction writes them at its commit
    this.db.transaction(() => this.writeEvents()).immediate();
  }

  /** Writes the buffered events (inside the caller's transaction). */
  private writeEvents(): void {
    if (this.eventFlush) clearTimeout(this.eventFlush);
    this.eventFlush = undefined;
    const events = this.pendingEvents;
    if (events.length === 0) return;
    this.pendingEvents = [];
    for (const e of events) {
      const seq = Number(this.statements.insertEvent.run(e.time, e.object, e.reason, e.message).lastInsertRowid);
      // A restart loop must not grow the database forever. Trimming in batches keeps the cost off the common path.
      if (seq % EVENT_TRIM_EVERY === 0) this.db.prepare('DELETE FROM events WHERE seq <= ?').run(seq - this.eventsKept);
    }
  }

  events(object?: string, limit = 200): EventRecord[] {
    this.flushEvents();
    const rows = object
      ? this.db
          .prepare('SELECT time, object, reason, message FROM events WHERE object = ? OR object LIKE ? ORDER BY seq DESC LIMIT ?')
          .all(object, `${object}/%`, limit)
      : this.db.prepare('SELECT time, object, reason, message FROM events ORDER BY seq DESC LIMIT ?').all(limit);
    return (rows as EventRecord[]).reverse();
  }

  close(): void {
    this.flushQueued();
    this.flushEvents();
    this.db.close();
  }
}
