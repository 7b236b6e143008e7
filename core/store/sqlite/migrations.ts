/**
 * Numbered schema migrations, applied in order inside one IMMEDIATE transaction at open, and
 * recorded in `schema_migrations`. Append new migrations; never edit an applied one.
 *
 * Layout: each object table keeps its record as JSON in `doc` plus the fields that are queried
 * (state, app, node…) as real, indexed columns. `version` is the optimistic-concurrency counter.
 */
import type Database from 'better-sqlite3';
import { SchemaVersionError, StoreUsageError } from '../errors';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

const META = 'id TEXT PRIMARY KEY, version INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, doc TEXT NOT NULL';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE apps (${META}) STRICT;
      CREATE TABLE storage_classes (${META}) STRICT;
      CREATE TABLE secrets (${META}) STRICT;
      CREATE TABLE plugins (${META}) STRICT;
      CREATE TABLE plugin_nodes (${META},
        plugin TEXT NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
        node_id TEXT NOT NULL) STRICT;
      CREATE INDEX plugin_nodes_by_node ON plugin_nodes(node_id);
      CREATE INDEX plugin_nodes_by_plugin ON plugin_nodes(plugin);

      CREATE TABLE nodes (${META}, state TEXT NOT NULL) STRICT;

      CREATE TABLE tasks (${META}, app TEXT NOT NULL, node_id TEXT, state TEXT NOT NULL) STRICT;
      CREATE INDEX tasks_by_app ON tasks(app);
      CREATE INDEX tasks_by_node ON tasks(node_id);

      CREATE TABLE claims (${META}, app TEXT NOT NULL, state TEXT NOT NULL, volume_id TEXT) STRICT;
      CREATE INDEX claims_by_app ON claims(app);
      CREATE INDEX claims_by_volume ON claims(volume_id);

      CREATE TABLE volumes (${META}, plugin TEXT NOT NULL, state TEXT NOT NULL, claim_id TEXT, node_id TEXT,
        csi_volume_id TEXT, UNIQUE (plugin, csi_volume_id)) STRICT;
      CREATE INDEX volumes_by_state ON volumes(state);
      CREATE INDEX volumes_by_claim ON volumes(claim_id);

      CREATE TABLE volume_attachments (${META},
        volume_id TEXT NOT NULL REFERENCES volumes(id) ON DELETE CASCADE,
        node_id TEXT NOT NULL) STRICT;
      CREATE INDEX volume_attachments_by_node ON volume_attachments(node_id);
      CREATE INDEX volume_attachments_by_volume ON volume_attachments(volume_id);

      CREATE TABLE snapshots (${META}, plugin TEXT NOT NULL, state TEXT NOT NULL, source_volume_id TEXT NOT NULL,
        group_id TEXT, csi_snapshot_id TEXT, UNIQUE (plugin, csi_snapshot_id)) STRICT;
      CREATE INDEX snapshots_by_source ON snapshots(source_volume_id);
      CREATE INDEX snapshots_by_group ON snapshots(group_id);

      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        object_kind TEXT NOT NULL, object_id TEXT NOT NULL, time INTEGER NOT NULL,
        type TEXT NOT NULL, reason TEXT NOT NULL, message TEXT NOT NULL) STRICT;
      CREATE INDEX events_by_object ON events(object_kind, object_id, seq);
      -- The log is append-only: rows may be pruned (retention) but never rewritten.
      CREATE TRIGGER events_append_only BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

      -- Reservation ledger. 'used' is an index of the reservations, maintained in the same transaction.
      CREATE TABLE ledger_nodes (node_id TEXT PRIMARY KEY, capacity TEXT NOT NULL, used TEXT NOT NULL) STRICT;
      CREATE TABLE ledger_reservations (
        holder_id TEXT PRIMARY KEY,
        node_id TEXT NOT NULL REFERENCES ledger_nodes(node_id),
        kind TEXT NOT NULL, role TEXT, amounts TEXT NOT NULL) STRICT;
      CREATE INDEX ledger_reservations_by_node ON ledger_reservations(node_id);
    `,
  },
];

export interface MigrationResult {
  /** Versions applied by this call (empty when the schema was already current). */
  readonly applied: readonly number[];
  readonly version: number;
}

/**
 * Brings the schema to the last of `migrations`, all in one transaction: a failing migration
 * leaves the database exactly as it was. Safe to call on every open and from several processes.
 * @throws SchemaVersionError when the database is newer than `migrations`
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS, path = db.name): MigrationResult {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new StoreUsageError(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
  const run = db.transaction((): MigrationResult => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT');
    const current = (db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number }).v;
    if (current > migrations.length) throw new SchemaVersionError(current, migrations.length, path);
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    const applied: number[] = [];
    for (const m of migrations.slice(current)) {
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
      applied.push(m.version);
    }
    return { applied, version: migrations.length };
  });
  return run.immediate();
}
