import type { TaskHealth } from '../../core/domain';
import type { HostPort } from '../../core/domain';
import type { AppSpec, HookOnFailure, PluginSpec, StorageClassSpec } from '../../core/manifests';
import type { PluginReport__Output } from '../../proto/berth/generated/berth/agent/v1/PluginReport';

/**
 * What the server keeps, as plain records. Desired state (apps, storage classes, plugins, secrets) is
 * written by `apply`; actual state (nodes, tasks, claims, volumes) by the controllers and agent syncs.
 */
export interface AppRecord {
  name: string;
  spec: AppSpec;
  /** Bumped on every change of the spec: tasks running an older generation are rolled one at a time. */
  generation: number;
  deleting: boolean;
  createdAt: string;
  /** Set when the rollout to `generation` passed its progress deadline (controllers/rollout.ts): no instance moves on until the next apply. */
  rolloutStalled?: { generation: number; message: string };
}

export interface StorageClassRecord {
  name: string;
  spec: StorageClassSpec;
}
export interface PluginRecord {
  name: string;
  spec: PluginSpec;
}
export interface SecretRecord {
  name: string;
  data: Record<string, string>;
}

export type TaskState = 'pending' | 'placed' | 'assigned' | 'running' | 'failed' | 'stopping';

export interface TaskRecord {
  /** `<app>-<instance>`: stable, so a restart is the same task with the same claims. */
  id: string;
  app: string;
  instance: number;
  /** Generation of the app spec this task runs (or is being rolled to). */
  generation: number;
  /**
   * The app spec of that generation: a task not rolled yet keeps running (and restarting with) the
   * spec it was started with, not one applied since.
   */
  spec?: AppSpec;
  nodeId?: string;
  state: TaskState;
  message?: string;
  restarts: number;
  exitCode?: number;
  /**
   * Readiness of a running task whose app has a readiness check, as its agent last reported it;
   * absent without a check or while the task does not run.
   */
  health?: TaskHealth;
  /** The last failure of one of its health checks, e.g. "liveness: GET :8080/ answered 500". */
  healthMessage?: string;
  /** When a rolling update moved this task to its generation: the rollout's progress deadline counts from here. */
  rolledAt?: string;
  /**
   * The host ports the task holds on `nodeId` (set at placement). Kept while it is pending again, so a
   * re-placement on the same node asks for the same ports first.
   */
  hostPorts?: HostPort[];
  /** A running docker task's IPv4 address on its node's task network (bridge), as its agent reports it. */
  containerAddress?: string;
  /** Why each node was rejected, while the task is pending. */
  rejections?: { nodeId: string; reason: string; message: string }[];
  /** A stopping task the agent no longer reports: its container is gone and its volumes detached. */
  stopped?: boolean;
  updatedAt: string;
}

/**
 * `retained`: bound, but its instance was scaled away (retainOnScaleDown): kept, with its volume, until
 * the app scales back up (→ bound), the user lets it go (`berth delete claim` → releasing) or the app goes.
 * `releasing`: let go by the user; the reclaim controller gives its volume back per the reclaim policy.
 */
export type ClaimState = 'pending' | 'provisioning' | 'bound' | 'retained' | 'releasing' | 'lost';

export interface ClaimRecord {
  /** `<app>/<volume template>/<instance>`: instance i always gets claim i. */
  id: string;
  app: string;
  template: string;
  instance: number;
  storageClass: string;
  sizeBytes: number;
  accessMode: string;
  volumeMode: 'filesystem' | 'block';
  /**
   * Where the new volume's data comes from: a CSI snapshot or volume (the plugin copies it), or a
   * volume of a backup in a repository (created empty, then written by the agent's data mover before
   * the instance starts; `dataRestored` is set once it is).
   */
  dataSource?: { kind: 'snapshot' | 'volume'; id: string } | BackupDataSource;
  dataRestored?: boolean;
  volumeId?: string;
  state: ClaimState;
  /** Records written before the `retained` state kept a bound claim this way; read as state `retained`. */
  retained?: boolean;
}

export type VolumeState = 'creating' | 'ready' | 'deleting' | 'released';

export interface VolumeRecord {
  /** Berth's id for the volume: `<plugin>:<csi volume id>` would leak into paths, so it is its own. */
  id: string;
  plugin: string;
  csiVolumeId?: string;
  /** Name passed to CreateVolume: the idempotency key that makes a retried create return the same volume. */
  csiName: string;
  /**
   * The node CreateVolume was (or is about to be) sent for, recorded with the intent: a volume deleted
   * while still `creating` is looked up again by its name through the same request, so a create that
   * succeeded at the plugin just before a crash never leaves a volume behind.
   */
  intentNodeId?: string;
  claimId?: string;
  nodeId?: string;
  pool?: string;
  capacityBytes: number;
  topology: Record<string, string>;
  volumeContext: Record<string, string>;
  state: VolumeState;
  /** The storage class of the claim it was made for, kept when released (its secrets serve DeleteVolume then). */
  storageClass?: string;
  /** publish_context per node, for plugins with ControllerPublishVolume. */
  published?: Record<string, Record<string, string>>;
  createdAt: string;
  readyAt?: string;
}

export interface NodeRecord {
  id: string;
  address: string;
  labels: Record<string, string>;
  cpuCores: number;
  memoryBytes: number;
  runtime: string;
  plugins: PluginReport__Output[];
  lastSyncMs: number;
  /** When the agent measured pool capacities (ms). */
  reportedAtMs: number;
  state: 'ready' | 'down';
  /** What the node's agent can do beyond the base protocol (SyncRequest.features), e.g. "create-volumes". */
  features?: string[];
  /** Where the node's agent answers DNS for `.berth` names (host:port, UDP and TCP); absent when it serves none. */
  dnsAddress?: string;
}

export interface EventRecord {
  time: string;
  object: string;
  reason: string;
  message: string;
}

/**
 * A recovery point: an app's spec, claims and storage classes plus one CSI snapshot per bound claim,
 * taken together (hooks around them). Written as an intent (`creating`, with the CreateSnapshot names)
 * before any snapshot exists, so a crash mid-way is undone on restart; see data-protection/recovery-points.ts.
 */
export type RecoveryPointState = 'creating' | 'ready' | 'failed' | 'deleting';
export type Consistency = 'app-consistent' | 'crash-consistent';

export interface RecoveryPointSnapshot {
  claimId: string;
  template: string;
  instance: number;
  plugin: string;
  /** Node whose controller took it (node-local plugins); the controller endpoint is found through it. */
  nodeId?: string;
  /** CreateSnapshot name: the idempotency key (a retried create returns the same snapshot). */
  csiName: string;
  csiSnapshotId?: string;
  groupSnapshotId?: string;
  /** Berth volume id and CSI volume id of the source. */
  sourceVolumeId: string;
  sourceCsiVolumeId: string;
  sizeBytes: number;
}

/** How a hook run ended: exit 0, another exit code, killed at its timeout, or never run (agent unreachable, task not running). */
export type HookOutcome = 'succeeded' | 'failed' | 'timed-out' | 'not-run';

export interface HookRun {
  phase: 'preSnapshot' | 'postSnapshot';
  taskId: string;
  nodeId?: string;
  /** -1 when the command could not be run or was killed at its timeout. */
  exitCode: number;
  /** The command's output; what went wrong when it did not run or timed out. */
  output: string;
  ok: boolean;
  /** The fields below are absent from runs recorded before hooks had a policy. */
  outcome?: HookOutcome;
  durationMs?: number;
  /** The policy it ran with. */
  timeoutSeconds?: number;
  onFailure?: HookOnFailure;
}

export interface RecoveryPointRecord {
  id: string;
  app: string;
  generation: number;
  spec: AppSpec;
  claims: ClaimRecord[];
  storageClasses: StorageClassRecord[];
  /** The app's reservations at snapshot time: holder, node and amounts (what a restore must find room for). */
  reservations: {
    holderId: string;
    nodeId: string;
    cpuMillis: number;
    memoryBytes: number;
    pools: { plugin: string; pool: string; bytes: number; claimId?: string }[];
  }[];
  snapshots: RecoveryPointSnapshot[];
  hooks: HookRun[];
  consistency: Consistency;
  /** Why it is only crash-consistent: no preSnapshot hook, instances not running, or a preSnapshot failure let through by `onFailure: continue`. */
  consistencyReason?: string;
  state: RecoveryPointState;
  /** Set when the pre hooks started: a crash after that must still run postSnapshot. */
  preHooksStarted?: boolean;
  /** Set before the first CreateSnapshot: only then can a crash have left snapshots whose ids were never stored. */
  snapshotsStarted?: boolean;
  postHooksDone?: boolean;
  message?: string;
  createdAt: string;
  readyAt?: string;
}

/** A claim restored from a backup: `id` is the backup's manifest id in `repository`, `volume` the volume in it. */
export interface BackupDataSource {
  kind: 'backup';
  id: string;
  repository: string;
  volume: string;
  /** The restore operation that created this claim. */
  restoreId: string;
}

/**
 * A backup repository the server (and its agents) can reach at `location`. The passphrase is a secret:
 * stored like Secret records (owner-only database) and never listed or logged.
 */
export interface RepositoryRecord {
  name: string;
  location: string;
  passphrase: string;
  /** The repository's own id (from its config): detects a different repository at the same path. */
  repositoryId: string;
  createdAt: string;
}

export type BackupState = 'snapshotting' | 'uploading' | 'ready' | 'failed' | 'deleting';

export interface BackupVolumeRecord {
  /** Name in the backup manifest: `<template>-<instance>`. */
  volume: string;
  claimId: string;
  template: string;
  instance: number;
  plugin: string;
  nodeId?: string;
  block: boolean;
  /** Source volume (Berth id and CSI id): the next backup of the same source is incremental to this one. */
  sourceVolumeId: string;
  sourceCsiVolumeId: string;
  state: 'pending' | 'running' | 'done' | 'failed';
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  /** From the mover's result (see agent/data-mover-types.ts). */
  changeMarker?: string;
  path?: 'fast' | 'generic';
  changeDetection?: string;
  /** Bytes of this volume's new chunks, before compression (what deduplication left to store). */
  bytesNew?: number;
  /** Bytes this volume added to the repository on disk (compressed and encrypted, with its share of pack headers and indexes). */
  bytesStored?: number;
  message?: string;
}

/**
 * A backup: a recovery point of the app whose snapshots were moved into a repository, with the app
 * metadata, as one manifest (`repoBackupId`). Written as an intent before any work, so a crash mid-way
 * is finished or failed and cleaned up at the next start.
 */
export interface BackupRecord {
  /** The manifest id in the repository once committed; before that a Berth id (`bk-…`). */
  id: string;
  app: string;
  repository: string;
  /** The manifest id, set when the manifest is written (then the backup exists in the repository). */
  repoBackupId?: string;
  recoveryPointId?: string;
  /** Schedule that created it, if any (retention keeps the last N of each schedule). */
  schedule?: string;
  /** The backup this one is incremental to (same repository). */
  parent?: string;
  state: BackupState;
  volumes: BackupVolumeRecord[];
  consistency?: Consistency;
  consistencyReason?: string;
  /** The recovery point's preSnapshot/postSnapshot runs: exit code and output per instance. */
  hooks?: HookRun[];
  /** Bytes read from the volumes (unchanged files and extents are not read). */
  bytesRead?: number;
  /** Bytes of new chunks after deduplication, before compression. */
  bytesNew?: number;
  /**
   * Bytes the repository grew by on disk (packs, indexes and the manifest: compressed and encrypted).
   * Unknown for backups made before it was counted.
   */
  bytesStored?: number;
  message?: string;
  startedAt: string;
  /** When the movers started (the upload rate is measured from here). */
  uploadStartedAt?: string;
  finishedAt?: string;
  /** ISO time after which retention deletes it (schedule or manifest `ttl`). */
  expiresAt?: string;
}

export type RestoreState = 'restoring' | 'ready' | 'failed' | 'rolling-back';

export interface RestoreVolumeRecord {
  claimId: string;
  volume: string;
  state: 'pending' | 'running' | 'done' | 'failed';
  nodeId?: string;
  bytesDone: number;
  bytesTotal: number;
  message?: string;
}

/** A restore of an app: from a recovery point (no data copy) or from a backup (the data mover writes each volume). */
export interface RestoreRecord {
  id: string;
  /** The app being created. */
  app: string;
  source: { kind: 'snapshot'; recoveryPointId: string } | { kind: 'backup'; repository: string; backupId: string };
  storageClassMap: Record<string, string>;
  state: RestoreState;
  volumes: RestoreVolumeRecord[];
  message?: string;
  createdAt: string;
  /** When every volume held its data: the instances start then; the restore is ready once they run and are ready. */
  dataRestoredAt?: string;
  finishedAt?: string;
}

/** A backup schedule: a cron expression (node-cron, seconds allowed) run by the server, with retention. */
export interface ScheduleRecord {
  name: string;
  app: string;
  cron: string;
  repository: string;
  /** Keep the last N backups made by this schedule (older ones are deleted). */
  keep?: number;
  /** Delete backups of this schedule older than this. */
  ttlSeconds?: number;
  /** Made from the app manifest's `backup:` policy (deleted with the app, replaced on apply). */
  fromApp: boolean;
  createdAt: string;
  lastRunAt?: string;
  lastBackup?: string;
  lastError?: string;
}
