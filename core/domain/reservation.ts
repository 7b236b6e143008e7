/**
 * Reservations and the outcomes of asking the ledger for one. Plain data shared by the ledger
 * (core/reservations) and its clients (core/scheduler), which must not import each other.
 */
import type { ResourceAmounts, Shortfall } from './capacity';
import type { NodeLedgerState } from './node-ledger-state';
import type { DynamicPortRequest } from './host-ports';

/**
 * `task`: held by a running or placed task, released when the task goes (orphans are found by task id).
 * `static`: set aside by an operator on a node for a role (system daemons, a backup agent…).
 */
export type ReservationKind = 'task' | 'static';

export interface Reservation {
  /** Task id for task reservations; `static:<node>:<role>` for static ones. One reservation per holder. */
  readonly holderId: string;
  readonly kind: ReservationKind;
  readonly nodeId: string;
  readonly role?: string;
  readonly amounts: ResourceAmounts;
}

export interface ReservationRequest {
  readonly holderId: string;
  readonly nodeId: string;
  readonly amounts: ResourceAmounts;
  readonly kind?: ReservationKind;
  readonly role?: string;
  /**
   * When the holder already has a different reservation: false (default) answers `holder-conflict`;
   * true swaps it for the new one in the same transaction (the scheduler moving a task).
   */
  readonly replaceExisting?: boolean;
  /**
   * Host ports for the ledger to pick from the node's dynamic range, in the same transaction; the
   * reservation holds them beside `amounts.hostPorts` (the fixed ones).
   */
  readonly dynamicPorts?: readonly DynamicPortRequest[];
}

/** Pool bytes a task holds for one claim, handed to a static reservation of their own (see Ledger.moveToStatic). */
export interface MoveToStaticRequest {
  /** The task whose reservation gives up the bytes it holds for `claimId` (if it still holds them). */
  readonly fromHolderId: string;
  readonly claimId: string;
  readonly nodeId: string;
  /** Role of the static reservation that takes the bytes over (its holder is `static:<node>:<role>`). */
  readonly role: string;
  /** What the static reservation holds: usually the same bytes, more when the plugin rounded the size up. */
  readonly amounts: ResourceAmounts;
}

export type ReserveOutcome =
  /** Committed. `replaced` is the holder's previous reservation, released in the same transaction. */
  | { readonly status: 'reserved'; readonly reservation: Reservation; readonly replaced?: Reservation }
  /** The holder already had exactly this reservation: nothing changed (idempotent retry). */
  | { readonly status: 'already-reserved'; readonly reservation: Reservation }
  /** Does not fit right now; `state` is the node's current ledger state, fresher than any snapshot. */
  | { readonly status: 'insufficient'; readonly nodeId: string; readonly shortfalls: readonly Shortfall[]; readonly state: NodeLedgerState }
  /** The holder holds a different reservation and `replaceExisting` was not set. */
  | { readonly status: 'holder-conflict'; readonly existing: Reservation }
  | { readonly status: 'unknown-node'; readonly nodeId: string };

export type ReleaseOutcome =
  | { readonly status: 'released'; readonly reservation: Reservation }
  /** Nothing to release: releasing twice, or releasing what was never reserved, is not an error. */
  | { readonly status: 'not-found'; readonly holderId: string };

/** A consistent copy of every node's capacity and usage, taken at one instant. */
export interface LedgerSnapshot {
  readonly nodes: ReadonlyMap<string, NodeLedgerState>;
}
