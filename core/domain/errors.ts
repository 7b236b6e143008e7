/**
 * Errors of the core (domain, ledger, scheduler). Each is a BerthError (lib/errors): a catalogue
 * code for API mapping and exit codes, and a `context` object with the facts that produced it, so
 * callers never have to parse messages. Expected outcomes of normal operation (a node is full, a
 * task is unschedulable) are *returned* as values, not thrown; these classes are for invalid input
 * and for callers that prefer to turn an outcome into an exception (see `reserveOrThrow` in
 * core/reservations).
 */
import { BerthError, type ErrorContext } from '../../lib/errors/berth-error';

export { BerthError, type ErrorContext } from '../../lib/errors/berth-error';

/** A resource quantity ("256Mi", "500m", 0.5) could not be parsed or is out of range. */
export class QuantityError extends BerthError {
  constructor(
    readonly field: string,
    readonly input: unknown,
    readonly problem: string,
  ) {
    super('invalid_argument', `${field}: ${JSON.stringify(input)} ${problem}`, {
      details: [{ path: field, message: `${JSON.stringify(input)} ${problem}` }],
      context: { field, input, problem },
    });
  }
}

/** A request handed to the core is malformed (negative amounts, duplicate claim ids, bad options). */
export class InvalidRequestError extends BerthError {
  constructor(
    readonly field: string,
    readonly problem: string,
    context: ErrorContext = {},
  ) {
    super('invalid_argument', `${field}: ${problem}`, { details: [{ path: field, message: problem }], context: { field, problem, ...context } });
  }
}

/** The ledger has no capacity record for the node (never registered, or removed). */
export class UnknownNodeError extends BerthError {
  constructor(readonly nodeId: string) {
    super('not_found', `node ${nodeId} is not registered in the reservation ledger`, { context: { nodeId } });
  }
}

/** The holder already has a reservation that differs from the one requested. */
export class ReservationConflictError extends BerthError {
  constructor(
    readonly holderId: string,
    readonly existingNodeId: string,
    readonly requestedNodeId: string,
  ) {
    super(
      'conflict',
      existingNodeId === requestedNodeId
        ? `${holderId} already holds a different reservation on node ${existingNodeId}; release it first`
        : `${holderId} already holds a reservation on node ${existingNodeId}, cannot also reserve on ${requestedNodeId}; release it first`,
      { context: { holderId, existingNodeId, requestedNodeId } },
    );
  }
}

/** A reservation does not fit the node's free capacity; `shortfalls` lists each resource that is short. */
export class InsufficientCapacityError extends BerthError {
  constructor(
    readonly nodeId: string,
    readonly shortfalls: readonly string[],
  ) {
    super('resource_exhausted', `node ${nodeId} cannot hold the reservation: ${shortfalls.join('; ')}`, { context: { nodeId, shortfalls } });
  }
}

/** A contract of a store or the ledger was broken (e.g. an async transaction callback). A bug, not user input. */
export class LedgerInvariantError extends BerthError {
  constructor(problem: string, context: ErrorContext = {}) {
    super('internal', `ledger invariant violated: ${problem}`, { context });
  }
}
