/** The scheduler's vocabulary: filters, scorers, rejections and placement results. */
import type { Reservation } from '../domain';
import type { NodeView } from './node-view';
import type { PassState } from './pass-state';
import type { RejectionReason, StatusCode } from './reasons';
import type { TaskEvaluation } from './task-evaluation';

/** Why one node cannot run one task, in words an operator can act on. */
export interface Rejection {
  readonly nodeId: string;
  readonly reason: RejectionReason;
  readonly code: StatusCode;
  readonly message: string;
}

/** A feasibility check. Returns null when the node passes, else the rejection. Must not mutate the pass. */
export interface Filter {
  readonly name: string;
  check(task: TaskEvaluation, node: NodeView, pass: PassState): Rejection | null;
}

/** A ranking signal in [0, 1] (1 = best). Applies per task, so every candidate of a task is scored alike. */
export interface Scorer {
  readonly name: string;
  readonly weight: number;
  appliesTo(task: TaskEvaluation): boolean;
  score(task: TaskEvaluation, node: NodeView, pass: PassState): number;
}

export interface Placed {
  readonly kind: 'placed';
  readonly taskId: string;
  readonly nodeId: string;
  /** Combined normalized score in [0, 1]. */
  readonly score: number;
  readonly reservation: Reservation;
  /** Nodes whose filters ran for this decision (bounded by the candidate limit). */
  readonly nodesEvaluated: number;
  /** Reserve calls made; more than 1 means the ledger refused stale choices and the next-best won. */
  readonly reserveAttempts: number;
  /** Rejections met on the way (nodes not visited have none). */
  readonly rejections: readonly Rejection[];
}

export interface Unschedulable {
  readonly kind: 'unschedulable';
  readonly taskId: string;
  /** The reason that explains the task's state best (e.g. `volume-locality` when its data node is down). */
  readonly reason: RejectionReason;
  /** One line for `berth get tasks`, e.g. "0/3 nodes can run pg-0: 2× storage-fit, 1× node-not-ready". */
  readonly summary: string;
  /** Exactly one rejection per node of the cluster, sorted by node id. */
  readonly rejections: readonly Rejection[];
}

export type PlacementResult = Placed | Unschedulable;
