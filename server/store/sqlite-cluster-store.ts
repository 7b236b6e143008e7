import Database from 'better-sqlite3';
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ClusterStore, Collection } from './cluster-store';
import type { AppRecord, BackupRecord, ClaimRecord, EventRecord, NodeRecord, PluginRecord, RecoveryPointRecord, RepositoryRecord, RestoreRecord, ScheduleRecord, SecretRecord, StorageClassRecord, TaskRecord, VolumeRecord } from './records';

const MIGRATIONS: string[] = [
  `CREATE TABLE objects (kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (kind, id)) WITHOUT ROWID;
   CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, object TEXT NOT NULL, reason TEXT NOT NULL, message TEXT NOT NULL);
   CREATE INDEX events_by_object ON events (object, seq);`,
];

const EVENT_TRIM_EVERY = 1000;

/**
 * The server's records in SQLite: one JSON document per (kind, id), WAL with synchronous=FULL so a
 * committed transaction survives a power cut, numbered migrations applied at open.
 */
export class SqliteClusterStore implements ClusterStore {
  readonly db: Database.Database;
  readonly apps: Collection<AppRecord>;
  readonly storageClasses: Collection<StorageClassRecord>;
  readonly plugins: Collection<PluginRecord>;
  readonly secrets: Collection<SecretRecord>;
  readonly tasks: Collection<TaskRecord>;
  readonly claims: Collection<ClaimRecord>;
  readonly volumes: Collection<VolumeRecord>;
  readonly nodes: Collection<NodeRecord>;
  readonly recoveryPoints: Collection<RecoveryPointRecord>;
  readonly repositories: Collection<RepositoryRecord>;
  readonly backups: Collection<BackupRecord>;
  readonly restores: Collection<RestoreRecord>;
  readonly schedules: Collection<ScheduleRecord>;

  /** How many of the newest events are kept (older ones are trimmed). */
  constructor(file: string, private readonly eventsKept = 50_000) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // The store holds secrets: owner-only, also when the file or its directory already existed.
    chmodSync(dirname(file), 0o700);
    this.db = new Database(file);
    chmodSync(file, 0o600);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
    this.apps = this.collection<AppRecord>('app');
    this.storageClasses = this.collection<StorageClassRecord>('storageclass');
    this.plugins = this.collection<PluginRecord>('plugin');
    this.secrets = this.collection<SecretRecord>('secret');
    this.tasks = this.collection<TaskRecord>('task');
    this.claims = this.collection<ClaimRecord>('claim');
    this.volumes = this.collection<VolumeRecord>('volume');
    this.nodes = this.collection<NodeRecord>('node');
    this.recoveryPoints = this.collection<RecoveryPointRecord>('recoverypoint');
    this.repositories = this.collection<RepositoryRecord>('repository');
    this.backups = this.collection<BackupRecord>('backup');
    this.restores = this.collection<RestoreRecord>('restore');
    this.schedules = this.collection<ScheduleRecord>('schedule');
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)');
    const done = new Set((this.db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
    MIGRATIONS.forEach((sql, i) => {
      if (done.has(i + 1)) return;
      this.db.transaction(() => {
        this.db.exec(sql);
        this.db.prepare('INSERT INTO schema_migrations (version) VALUES (?)').run(i + 1);
      }).immediate();
    });
  }

  private collection<T>(kind: string): Collection<T> {
    const get = this.db.prepare('SELECT body FROM objects WHERE kind = ? AND id = ?');
    const list = this.db.prepare('SELECT body FROM objects WHERE kind = ? ORDER BY id');
    const put = this.db.prepare('INSERT INTO objects (kind, id, body) VALUES (?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body');
    const del = this.db.prepare('DELETE FROM objects WHERE kind = ? AND id = ?');
    return {
      get: (id) => {
        const row = get.get(kind, id) as { body: string } | undefined;
        return row ? (JSON.parse(row.body) as T) : undefined;
      },
      list: () => (list.all(kind) as { body: string }[]).map((r) => JSON.parse(r.body) as T),
      put: (id, record) => { put.run(kind, id, JSON.stringify(record)); },
      delete: (id) => { del.run(kind, id); },
    };
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  appendEvent(event: Omit<EventRecord, 'time'>): void {
    const { lastInsertRowid } = this.db.prepare('INSERT INTO events (time, object, reason, message) VALUES (?, ?, ?, ?)')
      .run(new Date().toISOString(), event.object, event.reason, event.message);
    // Events are a bounded history, not a log of record: a restart loop must not grow the database
    // forever. Trimming in batches keeps the cost off the common path.
    const seq = Number(lastInsertRowid);
    if (seq % EVENT_TRIM_EVERY === 0) this.db.prepare('DELETE FROM events WHERE seq <= ?').run(seq - this.eventsKept);
  }

  events(object?: string, limit = 200): EventRecord[] {
    const rows = object
      ? this.db.prepare('SELECT time, object, reason, message FROM events WHERE object = ? OR object LIKE ? ORDER BY seq DESC LIMIT ?').all(object, `${object}/%`, limit)
      : this.db.prepare('SELECT time, object, reason, message FROM events ORDER BY seq DESC LIMIT ?').all(limit);
    return (rows as EventRecord[]).reverse();
  }

  close(): void {
    this.db.close();
  }
}
