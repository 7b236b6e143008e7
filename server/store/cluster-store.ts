import type {
  AppRecord,
  BackupRecord,
  ClaimRecord,
  EventRecord,
  NodeRecord,
  PluginRecord,
  RecoveryPointRecord,
  RepositoryRecord,
  RestoreRecord,
  ScheduleRecord,
  SecretRecord,
  StorageClassRecord,
  TaskRecord,
  VolumeRecord,
} from './records';

/**
 * One kind of record, keyed by id. Reads see the writes of the enclosing transaction. Records handed
 * out are frozen and shared with the store's cache: change one by putting a new object
 * (`put(id, { ...record, field })`), never by assigning to it.
 */
export interface Collection<T, I extends string = never> {
  get(id: string): T | undefined;
  /** Every record, ordered by id. */
  list(): T[];
  /** list() as one JSON array (what JSON.stringify(list()) gives), without serializing on every call. */
  listJson(): string;
  /** How many records there are (without listing them). */
  count(): number;
  /** The records whose index `index` has `value` (see the store's index declarations), ordered by id. */
  where(index: I, value: string): T[];
  put(id: string, record: T): void;
  delete(id: string): void;
}

/** The record kinds, as named in the change feed. */
export interface RecordKinds {
  app: AppRecord;
  storageclass: StorageClassRecord;
  plugin: PluginRecord;
  secret: SecretRecord;
  task: TaskRecord;
  claim: ClaimRecord;
  volume: VolumeRecord;
  node: NodeRecord;
  recoverypoint: RecoveryPointRecord;
  repository: RepositoryRecord;
  backup: BackupRecord;
  restore: RestoreRecord;
  schedule: ScheduleRecord;
}
export type RecordKind = keyof RecordKinds;

/** One committed change of one record: `before` is absent for a create, `after` for a delete. */
export type StoreChange = { [K in RecordKind]: { kind: K; id: string; revision: number; before?: RecordKinds[K]; after?: RecordKinds[K] } }[RecordKind];

/**
 * The narrow store the server's controllers and API use. `transaction` makes a group of writes atomic
 * and durable (all or nothing, fsynced before it returns); controllers are written so that a crash
 * between two transactions is repaired by the next reconcile pass.
 *
 * Every committed write advances `revision` and is announced, once committed, to `watch` listeners:
 * controllers and long polls react to what changed instead of re-reading everything.
 */
export interface ClusterStore {
  readonly apps: Collection<AppRecord>;
  readonly storageClasses: Collection<StorageClassRecord>;
  readonly plugins: Collection<PluginRecord>;
  readonly secrets: Collection<SecretRecord>;
  readonly tasks: Collection<TaskRecord, 'app' | 'node' | 'state'>;
  readonly claims: Collection<ClaimRecord, 'app' | 'storageClass' | 'awaitingData'>;
  readonly volumes: Collection<VolumeRecord, 'node' | 'claim'>;
  readonly nodes: Collection<NodeRecord>;
  readonly recoveryPoints: Collection<RecoveryPointRecord, 'app'>;
  readonly repositories: Collection<RepositoryRecord>;
  readonly backups: Collection<BackupRecord, 'app'>;
  readonly restores: Collection<RestoreRecord, 'restoringApp'>;
  readonly schedules: Collection<ScheduleRecord>;
  /** Revision of the last committed write (persisted: it only grows, also across restarts). */
  readonly revision: number;
  transaction<T>(fn: () => T): T;
  /** Group commit: `fn` as its own transaction, committed (durably) together with others of this turn of the event loop. */
  commitSoon<T>(fn: () => T): Promise<T>;
  /** Calls `listener` with the changes of every committed write, after the commit; returns an unsubscribe. */
  watch(listener: (changes: readonly StoreChange[]) => void): () => void;
  appendEvent(event: Omit<EventRecord, 'time'>): void;
  events(object?: string, limit?: number): EventRecord[];
  close(): void;
}
