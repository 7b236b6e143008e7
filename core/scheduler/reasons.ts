/**
 * Named rejection reasons and kube-scheduler-style status codes. Reasons are stable strings:
 * `berth describe`, events and tests match on them, so never rename one.
 */

export const RejectionReason = {
  /** The node is not heartbeating / not accepting work. */
  NodeNotReady: 'node-not-ready',
  /** The node has no capacity record in the ledger (agent never registered its resources). */
  NodeNotRegistered: 'node-not-registered',
  /** A bound node-local volume of the task lives on another node. */
  VolumeLocality: 'volume-locality',
  /** A label constraint of the task does not match the node. */
  Constraint: 'constraint-mismatch',
  /** A CSI plugin the task's claims need is not installed on the node. */
  PluginMissing: 'plugin-missing',
  /** The plugin is installed but reports unhealthy. */
  PluginUnhealthy: 'plugin-unhealthy',
  /** The plugin's max volumes per node would be exceeded. */
  AttachLimit: 'attach-limit',
  InsufficientCpu: 'insufficient-cpu',
  InsufficientMemory: 'insufficient-memory',
  /** A host port the task fixes is held by another task on the node. */
  HostPort: 'host-port',
  /** The node's dynamic host port range has too few free ports for the task. */
  HostPortsExhausted: 'host-ports-exhausted',
  /** The task's unbound claims, all together, do not fit the node's matching pools. */
  StorageFit: 'storage-fit',
  /** The node looked feasible, but the ledger refused the reservation (taken concurrently) too many times. */
  ReservationConflict: 'reservation-conflict',
  /** The cluster has no nodes at all. */
  NoNodes: 'no-nodes',
} as const;

export type RejectionReason = (typeof RejectionReason)[keyof typeof RejectionReason];

/**
 * Like kube-scheduler's framework codes: `Unschedulable` may resolve when capacity frees up;
 * `UnschedulableAndUnresolvable` will not change by waiting for other tasks to go (node down,
 * wrong labels, data elsewhere) — an operator or the node itself has to act.
 */
export const StatusCode = {
  Unschedulable: 'Unschedulable',
  UnschedulableAndUnresolvable: 'UnschedulableAndUnresolvable',
} as const;

export type StatusCode = (typeof StatusCode)[keyof typeof StatusCode];
