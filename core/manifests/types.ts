/**
 * Typed manifests after validation: defaults applied, quantities converted to the integer units
 * the core computes with (bytes, millicores, seconds). `render.ts` turns them back into the
 * user-facing shape.
 */
import type { AccessMode, HealthCheck, LabelConstraint, StopPolicy } from '../domain';
import type { SecretData } from './secret-data';

/** The most instances one app may have (the scale route and the manifest both hold to it): each is a task and claims. */
export const MAX_INSTANCES = 10_000;

export type ManifestKind = 'App' | 'StorageClass' | 'Plugin' | 'Secret';
export const MANIFEST_KINDS: readonly ManifestKind[] = ['App', 'StorageClass', 'Plugin', 'Secret'];

export const ACCESS_MODES: readonly AccessMode[] = [
  'single-node-writer',
  'single-node-reader-only',
  'multi-node-reader-only',
  'multi-node-single-writer',
  'multi-node-multi-writer',
];

export type Runtime = 'docker' | 'process';
export type VolumeMode = 'filesystem' | 'block';
export type OnNodeLost = 'wait' | 'restoreLatest';
export type BindingMode = 'Immediate' | 'WaitForFirstConsumer';
export type ReclaimPolicy = 'Delete' | 'Retain';

/** Where a new claim's data comes from: a snapshot id or an existing volume id (CSI VolumeContentSource). */
export type DataSource = { readonly kind: 'snapshot'; readonly id: string } | { readonly kind: 'volume'; readonly id: string };

export interface ClaimTemplate {
  readonly storageClass: string;
  readonly sizeBytes: number;
  readonly accessMode: AccessMode;
  readonly volumeMode: VolumeMode;
  readonly dataSource?: DataSource;
}

/** One volume of every instance: instance i gets claim `<app>/<name>/<i>`. */
export interface VolumeTemplate {
  readonly name: string;
  /** Mount point in the container (filesystem) or device path (block). */
  readonly mountPath: string;
  readonly readOnly: boolean;
  /**
   * Numeric "uid[:gid]" given to the volume's root directory when it is first published (still empty);
   * absent: the app's user, when it is numeric or resolved on the node (README: Identity).
   */
  readonly owner?: string;
  readonly claim: ClaimTemplate;
}

export interface Resources {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
}

/** What a failing hook (non-zero exit, timed out, could not be run) means for its recovery point. */
export type HookOnFailure = 'fail' | 'continue';
export const HOOK_ON_FAILURE: readonly HookOnFailure[] = ['fail', 'continue'];

export interface HookPolicy {
  /** Deadline of the command in one instance; past it the command is killed there. */
  readonly timeoutSeconds: number;
  readonly onFailure: HookOnFailure;
}

export type HookPhase = 'preSnapshot' | 'postSnapshot';

/**
 * A hook given as a plain command list: 60 s, as before per-hook settings existed; preSnapshot fails
 * its recovery point, postSnapshot is recorded and the recovery point kept (the snapshots were taken).
 */
export const DEFAULT_HOOK_POLICY: Readonly<Record<HookPhase, HookPolicy>> = {
  preSnapshot: { timeoutSeconds: 60, onFailure: 'fail' },
  postSnapshot: { timeoutSeconds: 60, onFailure: 'continue' },
};

/** Bounds of a hook's `timeout`. */
export const HOOK_TIMEOUT_SECONDS = { min: 1, max: 3600 } as const;

/**
 * The commands stay plain lists, with a policy beside each only when it differs from the default:
 * app records, recovery points and backup manifests written before policies existed read unchanged.
 */
export interface Hooks {
  /** Run in the container before a snapshot (e.g. flush); empty = none. */
  readonly preSnapshot: readonly string[];
  readonly postSnapshot: readonly string[];
  readonly preSnapshotPolicy?: HookPolicy;
  readonly postSnapshotPolicy?: HookPolicy;
}

/** The timeout and failure policy a hook runs with. */
export function hookPolicy(hooks: Hooks, phase: HookPhase): HookPolicy {
  return (phase === 'preSnapshot' ? hooks.preSnapshotPolicy : hooks.postSnapshotPolicy) ?? DEFAULT_HOOK_POLICY[phase];
}

export interface BackupPolicy {
  /** Cron expression, 5 fields (minute hour day month weekday) or 6 with seconds first. */
  readonly schedule: string;
  /** Backups of this policy kept (the newest ready ones). */
  readonly keep: number;
  /** Backups of this policy older than this are deleted, if set. */
  readonly ttlSeconds?: number;
  /** Repository name; absent: the cluster's default repository. */
  readonly repository?: string;
}

/** A named port of an app's tasks, published on a host port of their node. */
export interface PortSpec {
  /** DNS label, unique in the app: the task sees its host port as BERTH_PORT_<NAME>. */
  readonly name: string;
  /** The port the docker container listens on; absent: the same as the host port. Not used by the process runtime. */
  readonly containerPort?: number;
  /** Fixed host port; absent: one picked per task from the node's dynamic range. */
  readonly hostPort?: number;
}

export interface AppSpec {
  readonly instances: number;
  readonly runtime: Runtime;
  /** Required for the docker runtime. */
  readonly image?: string;
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly resources: Resources;
  /** How its tasks are stopped; absent: DEFAULT_STOP_POLICY (SIGTERM, 30 s). */
  readonly stop?: StopPolicy;
  /** Who its tasks run as: a user name or "uid[:gid]"; absent: the runtime's default (root, or the image's user). */
  readonly user?: string;
  /** A gid the tasks get as a supplementary group and that owns every volume root on first publish (Kubernetes' fsGroup). */
  readonly fsGroup?: number;
  /** Whether a running task serves: rolling updates wait for it. Absent: running is ready. */
  readonly readiness?: HealthCheck;
  /** Whether a running task must be restarted. Absent: only an exit restarts it. */
  readonly liveness?: HealthCheck;
  readonly constraints: readonly LabelConstraint[];
  /** Absent (not empty) when none are written, so specs stored before ports existed compare equal. */
  readonly ports?: readonly PortSpec[];
  readonly volumes: readonly VolumeTemplate[];
  readonly onNodeLost: OnNodeLost;
  /** Keep claims of removed instances on scale down, so scaling up again finds the data. */
  readonly retainOnScaleDown: boolean;
  readonly hooks: Hooks;
  readonly backup?: BackupPolicy;
}

/**
 * What a claim template without `storageClass` holds until apply names the cluster's default class
 * (Kubernetes' is-default-class); a stored spec never holds it.
 */
export const DEFAULT_STORAGE_CLASS = '';

export interface StorageClassSpec {
  /** CSI driver name of the plugin that provisions volumes of this class. */
  readonly plugin: string;
  /** The class of claims that name none (at most one class of a cluster). */
  readonly default?: boolean;
  readonly bindingMode: BindingMode;
  readonly reclaimPolicy: ReclaimPolicy;
  readonly allowExpansion: boolean;
  /**
   * The plugin's pool volumes of this class go to: Berth's own choice (capacity, placement), never sent
   * to the driver — the pool's registration parameters are. See `classPool` for classes without it.
   */
  readonly pool?: string;
  /** Passed verbatim to CreateVolume `parameters` (CSI parameters are strings): the driver's, never Berth's. */
  readonly parameters: Readonly<Record<string, string>>;
  readonly mountOptions: readonly string[];
  /** VolumeCapability.Mount.fs_type, if the class wants one. */
  readonly fsType?: string;
  /** Names of stored Secrets passed to CreateVolume/DeleteVolume/snapshots, ControllerPublish+NodePublish, NodeStage. */
  readonly provisionerSecret?: string;
  readonly publishSecret?: string;
  readonly stageSecret?: string;
}

export interface PluginEndpoint {
  /** "unix:///path/to/csi.sock" or "tcp://host:port". */
  readonly endpoint: string;
}

/** A storage pool: the GetCapacity parameters that ask the plugin for that pool's capacity. */
export interface PluginPool {
  readonly pool: string;
  readonly parameters: Readonly<Record<string, string>>;
}

export interface PluginSpec {
  readonly controller?: PluginEndpoint;
  /** Node service endpoint per node id; agents may also register themselves (registration directory). */
  readonly nodes: Readonly<Record<string, PluginEndpoint>>;
  readonly pools: readonly PluginPool[];
}

export interface AppManifest {
  readonly kind: 'App';
  readonly name: string;
  readonly spec: AppSpec;
}

export interface StorageClassManifest {
  readonly kind: 'StorageClass';
  readonly name: string;
  readonly spec: StorageClassSpec;
}

export interface PluginManifest {
  readonly kind: 'Plugin';
  /** The CSI driver name, e.g. "berth.local". */
  readonly name: string;
  readonly spec: PluginSpec;
}

export interface SecretManifest {
  readonly kind: 'Secret';
  readonly name: string;
  readonly data: SecretData;
}

export type Manifest = AppManifest | StorageClassManifest | PluginManifest | SecretManifest;

/** A manifest with where it came from, so later checks (references) can point at the same document. */
export interface LocatedManifest<M extends Manifest = Manifest> {
  readonly manifest: M;
  readonly documentIndex: number;
}
