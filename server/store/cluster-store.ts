import type { AppRecord, BackupRecord, ClaimRecord, EventRecord, NodeRecord, PluginRecord, RecoveryPointRecord, RepositoryRecord, RestoreRecord, ScheduleRecord, SecretRecord, StorageClassRecord, TaskRecord, VolumeRecord } from './records';

/** One kind of record, keyed by id. Reads see the writes of the enclosing transaction. */
export interface Collection<T> {
  get(id: string): T | undefined;
  list(): T[];
  put(id: string, record: T): void;
  delete(id: string): void;
}

/**
 * The narrow store the server's controllers and API use. `transaction` makes a group of writes atomic
 * and durable (all or nothing, fsynced before it returns); controllers are written so that a crash
 * between two transactions is repaired by the next reconcile pass.
 */
export interface ClusterStore {
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
  transaction<T>(fn: () => T): T;
  appendEvent(event: Omit<EventRecord, 'time'>): void;
  events(object?: string, limit?: number): EventRecord[];
  close(): void;
}
