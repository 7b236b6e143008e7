/**
 * What the store keeps, one record type per table. Desired state (apps, classes, plugins, secrets,
 * claims) and actual state (nodes, tasks, volumes, attachments, snapshots) live side by side so a
 * controller can compare them inside one transaction.
 *
 * Every record carries `version` (bumped on every write, for optimistic concurrency) and times in
 * milliseconds since the epoch.
 */
import type { AccessMode, NodeInfo, NodePlugin, StoragePool } from '../domain';
import type { AppSpec, DataSource, PluginSpec, ReclaimPolicy, SecretData, StorageClassSpec, VolumeMode } from '../manifests';

export interface Meta {
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A record without its meta fields: what callers write. */
export type Body<R> = Omit<R, keyof Meta>;

// ── Desired state ────────────────────────────────────────────────────────────────────────────

export type AppPhase = 'active' | 'deleting';

export interface AppRecord extends Meta {
  readonly name: string;
  readonly spec: AppSpec;
  /** Bumped only when the spec changes (tasks record the generation they run, for rolling updates). */
  readonly generation: number;
  /** `deleting`: delete requested; controllers tear down tasks and claims, then remove the record. */
  readonly phase: AppPhase;
}

export interface StorageClassRecord extends Meta {
  readonly name: string;
  readonly spec: StorageClassSpec;
}

export interface SecretRecord extends Meta {
  readonly name: string;
  /** Redacting container: JSON and logs show "<redacted>"; `reveal()` gives the values. */
  readonly data: SecretData;
}

/** What GetPluginInfo / GetPluginCapabilities / ControllerGetCapabilities answered. */
export interface PluginCapabilities {
  readonly vendorVersion?: string;
  /** e.g. CONTROLLER_SERVICE, VOLUME_ACCESSIBILITY_CONSTRAINTS */
  readonly plugin: readonly string[];
  /** e.g. CREATE_DELETE_VOLUME, PUBLISH_UNPUBLISH_VOLUME, CREATE_DELETE_SNAPSHOT, EXPAND_VOLUME, GET_CAPACITY */
  readonly controller: readonly string[];
  readonly discoveredAt: number;
}

export interface PluginRecord extends Meta {
  readonly name: string;
  readonly spec: PluginSpec;
  /** Absent until the plugin's controller has been probed. */
  readonly capabilities?: PluginCapabilities;
}

/** A plugin's node service on one node: from a Plugin manifest, or registered by the node's agent. */
export interface PluginNodeRecord extends Meta {
  readonly plugin: string;
  readonly nodeId: string;
  readonly endpoint: string;
  readonly source: 'manifest' | 'agent';
  /** NodeGetCapabilities, e.g. STAGE_UNSTAGE_VOLUME, EXPAND_VOLUME, GET_VOLUME_STATS. */
  readonly nodeCapabilities?: readonly string[];
  /** NodeGetInfo: the plugin's own node id, its topology segments and attach limit. */
  readonly csiNodeId?: string;
  readonly topology?: Readonly<Record<string, string>>;
  readonly maxVolumesPerNode?: number;
}

export type ClaimState = 'pending' | 'bound' | 'released' | 'lost';

/** One per (app instance, volume template). Id: `<app>/<template>/<instance>` (see claimId). */
export interface ClaimRecord extends Meta {
  readonly id: string;
  readonly app: string;
  readonly template: string;
  readonly instance: number;
  readonly storageClass: string;
  readonly sizeBytes: number;
  readonly accessMode: AccessMode;
  readonly volumeMode: VolumeMode;
  readonly dataSource?: DataSource;
  readonly volumeId?: string;
  readonly state: ClaimState;
  /** Kept when its instance is scaled away or its app deleted (retainOnScaleDown / reclaim Retain). */
  readonly retain: boolean;
}

// ── Actual state ─────────────────────────────────────────────────────────────────────────────

export type NodeState = 'ready' | 'down' | 'draining';

export interface NodeRecord extends Meta {
  readonly id: string;
  /** Where the server reaches the agent (gRPC), e.g. "10.0.0.7:7443". */
  readonly address: string;
  readonly zone: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly cpuMillis: number;
  readonly memoryBytes: number;
  readonly pools: readonly StoragePool[];
  /** Plugin health and attach limits as the agent last reported them. */
  readonly plugins: readonly NodePlugin[];
  readonly state: NodeState;
  readonly lastHeartbeat: number;
  readonly agentVersion?: string;
}

/** The scheduler's view of a stored node. */
export function toNodeInfo(node: NodeRecord): NodeInfo {
  return {
    id: node.id,
    zone: node.zone,
    ready: node.state === 'ready',
    labels: node.labels,
    cpuMillis: node.cpuMillis,
    memoryBytes: node.memoryBytes,
    pools: node.pools,
    plugins: node.plugins,
  };
}

export type TaskDesiredState = 'running' | 'stopped';
export type TaskState = 'pending' | 'assigned' | 'starting' | 'running' | 'exited' | 'failed' | 'stopped' | 'lost';

export interface PendingReason {
  readonly nodeId: string;
  /** Named reason from the scheduler, e.g. "storage-fit". */
  readonly reason: string;
  readonly message: string;
}

export interface TaskRecord extends Meta {
  /** `<app>-<instance>` (instanceTaskId): stable across restarts and reschedules. */
  readonly id: string;
  readonly app: string;
  readonly instance: number;
  readonly nodeId?: string;
  readonly desired: TaskDesiredState;
  readonly state: TaskState;
  readonly containerId?: string;
  readonly exitCode?: number;
  readonly restarts: number;
  /** Generation of the app spec this task runs. */
  readonly appGeneration: number;
  /** While pending: the scheduler's one-line summary and why each node was rejected. */
  readonly pending?: { readonly summary: string; readonly reasons: readonly PendingReason[] };
  readonly message?: string;
}

/** `creating`/`deleting` are intents, written before the CSI call, so a crash in between is finished on restart. */
export type VolumeState = 'creating' | 'available' | 'bound' | 'released' | 'deleting' | 'failed';

export interface VolumeRecord extends Meta {
  readonly id: string;
  /** CreateVolume `name`: the idempotency key, so re-issuing after a crash finds the same volume. */
  readonly name: string;
  readonly plugin: string;
  /** Set once CreateVolume answered. */
  readonly csiVolumeId?: string;
  readonly requestedBytes: number;
  readonly capacityBytes?: number;
  readonly pool?: string;
  /** Node the data lives on, for node-local volumes (from accessible topology). */
  readonly nodeId?: string;
  readonly accessibleTopology: readonly Readonly<Record<string, string>>[];
  readonly volumeContext: Readonly<Record<string, string>>;
  readonly volumeMode: VolumeMode;
  readonly source?: DataSource;
  readonly claimId?: string;
  readonly storageClass?: string;
  readonly reclaimPolicy: ReclaimPolicy;
  readonly state: VolumeState;
  readonly error?: string;
}

/** The CSI publish chain of one volume on one node; each step's intent is recorded before the call. */
export type AttachmentState =
  | 'controller-publishing'
  | 'controller-published'
  | 'staging'
  | 'staged'
  | 'publishing'
  | 'published'
  | 'unpublishing'
  | 'unstaging'
  | 'controller-unpublishing';

/** Keyed by `attachmentId(volumeId, nodeId)` ("vol-1@n1"). */
export interface AttachmentRecord extends Meta {
  readonly volumeId: string;
  readonly nodeId: string;
  readonly state: AttachmentState;
  readonly publishContext: Readonly<Record<string, string>>;
  readonly stagingPath?: string;
  readonly targetPath?: string;
  readonly readOnly: boolean;
}

export type SnapshotState = 'creating' | 'ready' | 'deleting' | 'failed';

export interface SnapshotRecord extends Meta {
  readonly id: string;
  /** CreateSnapshot `name`: the idempotency key. */
  readonly name: string;
  readonly plugin: string;
  readonly csiSnapshotId?: string;
  readonly sourceVolumeId: string;
  /** Snapshots taken together (all volumes of an app instance, or a backup) share a group id. */
  readonly groupId?: string;
  readonly sizeBytes?: number;
  readonly readyToUse: boolean;
  readonly state: SnapshotState;
  readonly error?: string;
}

export type EventType = 'Normal' | 'Warning';

export interface EventRecord {
  /** Position in the global, append-only event log: later events have larger numbers. */
  readonly seq: number;
  readonly objectKind: string;
  readonly objectId: string;
  readonly time: number;
  readonly type: EventType;
  /** CamelCase machine word, e.g. "Scheduled", "FailedScheduling", "VolumeCreated". */
  readonly reason: string;
  readonly message: string;
}

export type NewEvent = Omit<EventRecord, 'seq' | 'time'> & { readonly time?: number };
