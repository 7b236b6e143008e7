/**
 * Berth's error catalogue for the core (domain, ledger, scheduler).
 *
 * Every error carries a stable machine-readable `code` (for API mapping and exit codes) and a
 * `context` object with the facts that produced it, so callers never have to parse messages.
 * Expected outcomes of normal operation (a node is full, a task is unschedulable) are *returned*
 * as values, not thrown; these classes are for invalid input and for callers that prefer to
 * turn an outcome into an exception (see `reserveOrThrow` in core/reservations).
 */

export type ErrorContext = Readonly<Record<string, unknown>>;

/** Base class: a code that never changes meaning, a human message, and the context behind it. */
export abstract class BerthError extends Error {
  abstract readonly code: string;
  readonly context: ErrorContext;

  protected constructor(message: string, context: ErrorContext) {
    super(message);
    this.name = new.target.name;
    this.context = context;
  }
}

/** A resource quantity ("256Mi", "500m", 0.5) could not be parsed or is out of range. */
export class QuantityError extends BerthError {
  readonly code = 'invalid-quantity';
  constructor(
    readonly field: string,
    readonly input: unknown,
    readonly problem: string,
  ) {
    super(`${field}: ${JSON.stringify(input)} ${problem}`, { field, input, problem });
  }
}

/** A request handed to the core is malformed (negative amounts, duplicate claim ids, bad options). */
export class InvalidRequestError extends BerthError {
  readonly code = 'invalid-request';
  constructor(
    readonly field: string,
    readonly problem: string,
    context: ErrorContext = {},
  ) {
    super(`${field}: ${problem}`, { field, problem, ...context });
  }
}

/** The ledger has no capacity record for the node (never registered, or removed). */
export class UnknownNodeError extends BerthError {
  readonly code = 'unknown-node';
  constructor(readonly nodeId: string) {
    super(`node ${nodeId} is not registered in the reservation ledger`, { nodeId });
  }
}

/** The holder already has a reservation that differs from the one requested. */
export class ReservationConflictError extends BerthError {
  readonly code = 'reservation-conflict';
  constructor(
    readonly holderId: string,
    readonly existingNodeId: string,
    readonly requestedNodeId: string,
  ) {
    super(
      existingNodeId === requestedNodeId
        ? `${holderId} already holds a different reservation on node ${existingNodeId}; release it first`
        : `${holderId} already holds a reservation on node ${existingNodeId}, cannot also reserve on ${requestedNodeId}; release it first`,
      { holderId, existingNodeId, requestedNodeId },
    );
  }
}

/** A reservation does not fit the node's free capacity; `shortfalls` lists each resource that is short. */
export class InsufficientCapacityError extends BerthError {
  readonly code = 'insufficient-capacity';
  constructor(
    readonly nodeId: string,
    readonly shortfalls: readonly string[],
  ) {
    super(`node ${nodeId} cannot hold the reservation: ${shortfalls.join('; ')}`, { nodeId, shortfalls });
  }
}

/** A contract of a store or the ledger was broken (e.g. an async transaction callback). A bug, not user input. */
export class LedgerInvariantError extends BerthError {
  readonly code = 'ledger-invariant';
  constructor(problem: string, context: ErrorContext = {}) {
    super(`ledger invariant violated: ${problem}`, context);
  }
}
