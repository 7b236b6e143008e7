/**
 * The Store: Berth's single source of truth, behind an interface narrow enough that an etcd-backed
 * implementation can replace SQLite later.
 *
 * Contract (every implementation):
 * 1. `transaction(fn)` is serializable and atomic: `fn` sees no other writer's changes and its
 *    writes commit together or, if it throws, not at all. Everything that changes several records
 *    (apply, bind a claim, place a task + reserve) goes through one `transaction`.
 * 2. `fn` is synchronous. An async callback is refused (awaiting inside would let other writers in).
 *    Do I/O (CSI calls, Docker) *between* transactions: record the intent, call, record the result.
 *    (An etcd store keeps a watched in-memory mirror, runs `fn` against it and commits with
 *    compare-on-revision, retrying on conflict — which is why callbacks must be pure and sync.)
 * 3. `read(fn)` sees one consistent instant and refuses writes.
 * 4. Committed writes are durable when the promise resolves.
 * 5. `ledger` is the reservation ledger over the same data: `tx.ledger` inside a transaction and
 *    `store.ledger` (a LedgerStore for core/reservations' Ledger) are the same state.
 */
import type { LedgerStore, LedgerTx } from '../reservations';
import type { AppSpec, PluginSpec, SecretData, StorageClassSpec } from '../manifests';
import type {
  AppPhase,
  AppRecord,
  AttachmentRecord,
  Body,
  ClaimRecord,
  EventRecord,
  NewEvent,
  NodeRecord,
  NodeState,
  PluginCapabilities,
  PluginNodeRecord,
  PluginRecord,
  SecretRecord,
  SnapshotRecord,
  StorageClassRecord,
  TaskRecord,
  VolumeRecord,
} from './records';

export interface Store {
  transaction<T>(fn: (tx: StoreTx) => T): Promise<T>;
  read<T>(fn: (tx: StoreReader) => T): Promise<T>;
  readonly ledger: LedgerStore;
  close(): Promise<void>;
}

export interface StoreReader {
  readonly apps: Reader<AppRecord>;
  readonly storageClasses: Reader<StorageClassRecord>;
  readonly plugins: PluginReader;
  readonly secrets: Reader<SecretRecord>;
  readonly nodes: Reader<NodeRecord, { state?: NodeState }>;
  readonly tasks: Reader<TaskRecord, TaskFilter>;
  readonly claims: Reader<ClaimRecord, ClaimFilter>;
  readonly volumes: Reader<VolumeRecord, VolumeFilter>;
  readonly attachments: Reader<AttachmentRecord, { volumeId?: string; nodeId?: string }>;
  readonly snapshots: Reader<SnapshotRecord, SnapshotFilter>;
  readonly events: EventReader;
  readonly ledger: Pick<LedgerTx, 'nodeState' | 'reservation' | 'reservations'>;
}

export interface StoreTx extends StoreReader {
  readonly apps: AppRepository;
  readonly storageClasses: NamedSpecRepository<StorageClassRecord, StorageClassSpec>;
  readonly plugins: PluginRepository;
  readonly secrets: SecretRepository;
  readonly nodes: NodeRepository;
  readonly tasks: RecordRepository<TaskRecord, TaskFilter>;
  readonly claims: RecordRepository<ClaimRecord, ClaimFilter>;
  readonly volumes: RecordRepository<VolumeRecord, VolumeFilter>;
  readonly attachments: RecordRepository<AttachmentRecord, { volumeId?: string; nodeId?: string }>;
  readonly snapshots: RecordRepository<SnapshotRecord, SnapshotFilter>;
  readonly events: EventRepository;
  readonly ledger: LedgerTx;
}

// ── Generic shapes ───────────────────────────────────────────────────────────────────────────

/** Lists are sorted by key. Filters match on indexed fields only (equality, all given fields). */
export interface Reader<R, F = Record<never, never>> {
  get(key: string): R | undefined;
  /** @throws NotFoundError */
  require(key: string): R;
  list(filter?: F): R[];
}

export interface WriteOptions {
  /** Optimistic concurrency: fail with ConflictError unless the record is at this version (0: must not exist). */
  readonly expectedVersion?: number;
}

/** A change: fields to set (undefined clears an optional field), or a function of the current record. */
export type Patch<R> = Partial<Body<R>> | ((current: R) => Partial<Body<R>>);

export interface RecordRepository<R, F = Record<never, never>> extends Reader<R, F> {
  /** @throws AlreadyExistsError */
  create(body: Body<R>): R;
  /** @throws NotFoundError, ConflictError. The key field cannot change. */
  update(key: string, patch: Patch<R>, options?: WriteOptions): R;
  /** Deleting what is not there returns undefined (idempotent), unless expectedVersion is given. @throws ConflictError */
  delete(key: string, options?: WriteOptions): R | undefined;
}

export type ApplyChange = 'created' | 'updated' | 'unchanged';

export interface Applied<R> {
  readonly record: R;
  readonly change: ApplyChange;
}

/** Named objects written by `apply`: idempotent — the same spec again is `unchanged` and keeps its version. */
export interface NamedSpecRepository<R, S> extends Reader<R> {
  /** @throws ConflictError when expectedVersion is given and differs */
  apply(name: string, spec: S, options?: WriteOptions): Applied<R>;
  delete(name: string, options?: WriteOptions): R | undefined;
}

export interface AppRepository extends NamedSpecRepository<AppRecord, AppSpec> {
  setPhase(name: string, phase: AppPhase, options?: WriteOptions): AppRecord;
}

export interface SecretRepository extends Reader<SecretRecord> {
  apply(name: string, data: SecretData, options?: WriteOptions): Applied<SecretRecord>;
  delete(name: string, options?: WriteOptions): SecretRecord | undefined;
}

export interface PluginReader extends Reader<PluginRecord> {
  /** Node registrations, of one plugin or of all, sorted by plugin then node. */
  nodeRegistrations(filter?: { plugin?: string; nodeId?: string }): PluginNodeRecord[];
}

export interface PluginRepository extends PluginReader, NamedSpecRepository<PluginRecord, PluginSpec> {
  /**
   * `apply` also replaces the plugin's manifest-sourced node registrations by `spec.nodes`;
   * agent-sourced registrations are kept.
   */
  apply(name: string, spec: PluginSpec, options?: WriteOptions): Applied<PluginRecord>;
  setCapabilities(name: string, capabilities: PluginCapabilities): PluginRecord;
  /**
   * An agent registering a plugin socket on its node (registration directory). Creates the plugin
   * record with an empty spec if none exists, so a vendor driver works without a manifest.
   */
  registerNode(registration: { plugin: string; nodeId: string; endpoint: string }): PluginNodeRecord;
  updateNodeRegistration(plugin: string, nodeId: string, patch: Patch<PluginNodeRecord>): PluginNodeRecord;
  unregisterNode(plugin: string, nodeId: string): PluginNodeRecord | undefined;
}

export interface NodeRegistration {
  readonly id: string;
  readonly address: string;
  readonly zone: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly cpuMillis: number;
  readonly memoryBytes: number;
  readonly pools: NodeRecord['pools'];
  readonly plugins: NodeRecord['plugins'];
  readonly agentVersion?: string;
}

export interface NodeRepository extends Reader<NodeRecord, { state?: NodeState }> {
  /** Creates or refreshes a node from its agent's registration; it becomes ready (unless draining). */
  register(registration: NodeRegistration): NodeRecord;
  /** Records a heartbeat (optionally with fresh pools/plugin health); a down node becomes ready again. @throws NotFoundError */
  heartbeat(id: string, report?: Partial<Pick<NodeRecord, 'pools' | 'plugins'>>): NodeRecord;
  setState(id: string, state: NodeState, options?: WriteOptions): NodeRecord;
  /** Marks ready nodes whose last heartbeat is older than `before` as down; returns them. */
  markMissing(before: number): NodeRecord[];
  delete(id: string, options?: WriteOptions): NodeRecord | undefined;
}

export interface TaskFilter {
  app?: string;
  nodeId?: string;
  state?: TaskRecord['state'];
}

export interface ClaimFilter {
  app?: string;
  state?: ClaimRecord['state'];
  volumeId?: string;
}

export interface VolumeFilter {
  plugin?: string;
  state?: VolumeRecord['state'];
  claimId?: string;
  nodeId?: string;
  csiVolumeId?: string;
}

export interface SnapshotFilter {
  plugin?: string;
  state?: SnapshotRecord['state'];
  sourceVolumeId?: string;
  groupId?: string;
}

export interface EventQuery {
  /** Only events after this sequence number (for following a log). */
  readonly afterSeq?: number;
  /** At most this many, the most recent ones (default 100). */
  readonly limit?: number;
}

export interface EventReader {
  /** Events of one object, oldest first. */
  forObject(objectKind: string, objectId: string, query?: EventQuery): EventRecord[];
  /** Events of all objects, oldest first. */
  recent(query?: EventQuery): EventRecord[];
}

export interface EventRepository extends EventReader {
  append(event: NewEvent): EventRecord;
  /** Retention: removes events older than `before`; returns how many. The only way events leave. */
  pruneBefore(before: number): number;
}
