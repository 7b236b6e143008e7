/**
 * What one task instance asks of the scheduler: compute, placement constraints and its claims.
 * Instance i of an app always carries claim i, so a claim that is bound pins the instance.
 */
import { InvalidRequestError } from './errors';
import { MAX_PORT, MIN_PORT, type HostPort } from './host-ports';

export type AccessMode = 'single-node-writer' | 'single-node-reader-only' | 'multi-node-reader-only' | 'multi-node-single-writer' | 'multi-node-multi-writer';

/** The volume a claim is bound to. `nodeId` is set for node-local volumes: the data lives only there. */
export interface BoundVolume {
  readonly volumeId: string;
  readonly nodeId?: string;
  /** Zone of a network volume: not a hard pin, but placing near the data is preferred. */
  readonly zone?: string;
}

/**
 * The node holding the snapshot or volume an unbound claim is to be made from, when that source is
 * node-local: a node-local plugin can only create the new volume where the source is.
 */
export interface DataSourcePin {
  readonly kind: 'snapshot' | 'volume';
  readonly id: string;
  readonly nodeId: string;
}

export interface ClaimRequest {
  readonly claimId: string;
  readonly storageClass: string;
  /** CSI plugin that serves the storage class (e.g. "berth.local"). */
  readonly plugin: string;
  /** Exact pool name, if the storage class names one. */
  readonly pool?: string;
  /** Pool labels that must all match, if the storage class selects pools by label. */
  readonly poolSelector?: Readonly<Record<string, string>>;
  readonly sizeBytes: number;
  readonly accessMode: AccessMode;
  /** Present once the claim is bound to a volume; unbound claims still need space in a pool. */
  readonly bound?: BoundVolume;
  /** For an unbound claim made from a node-local snapshot or volume: the new volume can only be made on that node. */
  readonly source?: DataSourcePin;
}

export type ConstraintOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

/** Kubernetes-style label requirement; the key `zone` also matches the node's zone. */
export interface LabelConstraint {
  readonly key: string;
  readonly operator: ConstraintOperator;
  readonly values?: readonly string[];
}

/** A named host port the task holds on its node: fixed (`hostPort`), or picked by the ledger. */
export interface PortRequest {
  readonly name: string;
  readonly hostPort?: number;
}

export interface TaskRequest {
  readonly taskId: string;
  readonly app: string;
  readonly instance: number;
  readonly cpuMillis: number;
  readonly memoryBytes: number;
  readonly constraints: readonly LabelConstraint[];
  readonly claims: readonly ClaimRequest[];
  /** Absent: none. */
  readonly ports?: readonly PortRequest[];
  /**
   * The host ports the task held last and where: placed on that node again, it asks for the same
   * picked ports first (a stateful instance keeps its address across restarts and re-placements).
   */
  readonly previousPorts?: { readonly nodeId: string; readonly ports: readonly HostPort[] };
}

/** The stable id of instance `instance` of `app` ("pg-0"), like a StatefulSet pod name: restarts keep it. */
export function instanceTaskId(app: string, instance: number): string {
  return `${app}-${instance}`;
}

/** Refuses task requests the scheduler could only answer with nonsense. @throws InvalidRequestError */
export function validateTaskRequest(task: TaskRequest): void {
  if (!task.taskId) throw new InvalidRequestError('taskId', 'must not be empty');
  if (!Number.isSafeInteger(task.cpuMillis) || task.cpuMillis < 0) {
    throw new InvalidRequestError(`${task.taskId}.cpuMillis`, `must be a non-negative integer, got ${task.cpuMillis}`);
  }
  if (!Number.isSafeInteger(task.memoryBytes) || task.memoryBytes < 0) {
    throw new InvalidRequestError(`${task.taskId}.memoryBytes`, `must be a non-negative integer, got ${task.memoryBytes}`);
  }
  const seen = new Set<string>();
  for (const claim of task.claims) {
    if (seen.has(claim.claimId)) throw new InvalidRequestError(`${task.taskId}.claims`, `claim ${claim.claimId} is listed twice`);
    seen.add(claim.claimId);
    if (!claim.plugin) throw new InvalidRequestError(`${task.taskId}.claims.${claim.claimId}.plugin`, 'must not be empty');
    if (!Number.isSafeInteger(claim.sizeBytes) || claim.sizeBytes <= 0) {
      throw new InvalidRequestError(`${task.taskId}.claims.${claim.claimId}.sizeBytes`, `must be a positive integer, got ${claim.sizeBytes}`);
    }
  }
  const names = new Set<string>();
  const fixed = new Set<number>();
  for (const p of task.ports ?? []) {
    if (!p.name || names.has(p.name)) throw new InvalidRequestError(`${task.taskId}.ports`, `port name ${JSON.stringify(p.name)} is empty or listed twice`);
    names.add(p.name);
    if (p.hostPort === undefined) continue;
    if (!Number.isSafeInteger(p.hostPort) || p.hostPort < MIN_PORT || p.hostPort > MAX_PORT || fixed.has(p.hostPort)) {
      throw new InvalidRequestError(`${task.taskId}.ports.${p.name}.hostPort`, `must be a port from ${MIN_PORT} to ${MAX_PORT} named once, got ${p.hostPort}`);
    }
    fixed.add(p.hostPort);
  }
  for (const c of task.constraints) {
    if ((c.operator === 'In' || c.operator === 'NotIn') && (!c.values || c.values.length === 0)) {
      throw new InvalidRequestError(`${task.taskId}.constraints.${c.key}`, `operator ${c.operator} needs at least one value`);
    }
  }
}
