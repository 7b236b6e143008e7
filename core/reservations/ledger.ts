/**
 * The reservation ledger: the single authority on how much of each node is promised.
 *
 * Every operation is one store transaction. `reserve` reads the node's usage *inside* that
 * transaction (never a caller's snapshot), checks every resource — CPU, memory, each pool's
 * bytes summed over all claims, attach slots — and writes the reservation and the usage index
 * together, or writes nothing. Because the store serializes transactions (see LedgerStore), two
 * concurrent reserves can never both see the same free space: the second one sees the first one's
 * usage and gets `insufficient`. Hence the sum of reservations never exceeds capacity.
 */
import {
  describeShortfall,
  findShortfalls,
  formatBytes,
  formatCpu,
  InsufficientCapacityError,
  pickDynamicPorts,
  ReservationConflictError,
  sameAmounts,
  staticHolderId,
  UnknownNodeError,
  usedInRange,
  validateAmounts,
} from '../domain';
import type {
  LedgerSnapshot,
  MoveToStaticRequest,
  NodeCapacity,
  NodeLedgerState,
  ReleaseOutcome,
  Reservation,
  ReservationKind,
  ReservationRequest,
  ReserveOutcome,
  ResourceAmounts,
  Shortfall,
} from '../domain';
import type { LedgerStore } from './ledger-store';
import { findOrphans } from './orphans';

/** What `adopt` recorded, and how far it takes the node past its capacity (empty: it fits). */
export type AdoptOutcome = { readonly reservation: Reservation; readonly shortfalls: readonly Shortfall[] } | { readonly unknownNode: string };

export interface LedgerOptions {
  /** In [0, 1): where the scan for a free dynamic host port starts (tests pass a fixed one). */
  readonly random?: () => number;
}

export class Ledger {
  private readonly random: () => number;

  constructor(
    private readonly store: LedgerStore,
    options: LedgerOptions = {},
  ) {
    this.random = options.random ?? Math.random;
  }

  /** Creates or updates a node's capacity (from its agent's report). Reservations are kept. */
  registerNode(nodeId: string, capacity: NodeCapacity): Promise<void> {
    return this.store.transaction((tx) => tx.setNodeCapacity(nodeId, capacity));
  }

  /**
   * Atomically reserves `amounts` on a node for a holder: all resources or none.
   * Same holder, same node, same amounts → `already-reserved` (idempotent). Same holder with a
   * different reservation → `holder-conflict`, unless `replaceExisting` swaps it in the same
   * transaction. Does not fit → `insufficient` with the node's current state.
   * Rejects with InvalidRequestError for negative or fractional amounts.
   */
  async reserve(request: ReservationRequest): Promise<ReserveOutcome> {
    validateAmounts(request.amounts);
    const kind = request.kind ?? 'task';
    return this.store.transaction((tx): ReserveOutcome => {
      const state = tx.nodeState(request.nodeId);
      if (!state) return { status: 'unknown-node', nodeId: request.nodeId };
      const existing = tx.reservation(request.holderId);
      const credit = existing && existing.nodeId === request.nodeId ? existing.amounts : undefined;
      // Dynamic ports are picked first (the holder's own ports on this node preferred), so a repeated
      // request resolves to the reservation it already has.
      const picked = this.withDynamicPorts(state, request, credit);
      const amounts = 'shortfall' in picked ? request.amounts : picked.amounts;
      if (existing) {
        const same = existing.nodeId === request.nodeId && existing.kind === kind && !('shortfall' in picked) && sameAmounts(existing.amounts, amounts);
        if (same) return { status: 'already-reserved', reservation: existing };
        if (!request.replaceExisting) return { status: 'holder-conflict', existing };
      }
      const shortfalls = findShortfalls(state, amounts, credit);
      if ('shortfall' in picked) shortfalls.push(picked.shortfall);
      if (shortfalls.length > 0) return { status: 'insufficient', nodeId: request.nodeId, shortfalls, state };
      if (existing) tx.deleteReservation(existing.holderId);
      const reservation = reservationFor({ ...request, amounts }, kind);
      tx.insertReservation(reservation);
      return existing ? { status: 'reserved', reservation, replaced: existing } : { status: 'reserved', reservation };
    });
  }

  /** The request's amounts with its dynamic ports picked on the node, or why they cannot be. */
  private withDynamicPorts(
    state: NodeLedgerState,
    request: ReservationRequest,
    credit: ResourceAmounts | undefined,
  ): { readonly amounts: ResourceAmounts } | { readonly shortfall: Shortfall } {
    const dynamic = request.dynamicPorts ?? [];
    if (dynamic.length === 0) return { amounts: request.amounts };
    const range = state.capacity.hostPortRange;
    const fixed = request.amounts.hostPorts ?? [];
    if (!range) return { shortfall: { resource: 'host-port-range', needed: dynamic.length, free: 0 } };
    const start = Math.floor(this.random() * (range.last - range.first + 1));
    const picked = pickDynamicPorts(dynamic, range, state.used.hostPorts, credit?.hostPorts, new Set(fixed.map((p) => p.port)), start);
    if (!picked) {
      const creditInRange = credit?.hostPorts?.filter((p) => p.port >= range.first && p.port <= range.last).length ?? 0;
      const fixedInRange = fixed.filter((p) => p.port >= range.first && p.port <= range.last).length;
      const free = range.last - range.first + 1 - usedInRange(state.used.hostPorts, range) + creditInRange - fixedInRange;
      return { shortfall: { resource: 'host-port-range', range, needed: dynamic.length, free: Math.max(free, 0) } };
    }
    return { amounts: { ...request.amounts, hostPorts: [...fixed, ...picked] } };
  }

  /** Like `reserve`, but turns every outcome other than success into a typed error. */
  async reserveOrThrow(request: ReservationRequest): Promise<Reservation> {
    const outcome = await this.reserve(request);
    switch (outcome.status) {
      case 'reserved':
      case 'already-reserved':
        return outcome.reservation;
      case 'unknown-node':
        throw new UnknownNodeError(outcome.nodeId);
      case 'holder-conflict':
        throw new ReservationConflictError(request.holderId, outcome.existing.nodeId, request.nodeId);
      case 'insufficient':
        throw new InsufficientCapacityError(
          outcome.nodeId,
          outcome.shortfalls.map((s) => describeShortfall(s, formatBytes, formatCpu)),
        );
    }
  }

  /**
   * Hands the pool bytes a task holds for one claim to a static reservation of their own (a volume
   * that outlives its task), in one transaction: there is no instant at which the bytes look free to
   * another placement while the volume already occupies them. Repeating it changes nothing. When the
   * static amounts need more than the task gives up and that does not fit, nothing changes.
   */
  async moveToStatic(request: MoveToStaticRequest): Promise<ReserveOutcome> {
    validateAmounts(request.amounts);
    const { fromHolderId, claimId, nodeId, role, amounts } = request;
    const holderId = staticHolderId(nodeId, role);
    try {
      return await this.store.transaction((tx): ReserveOutcome => {
        if (!tx.nodeState(nodeId)) return { status: 'unknown-node', nodeId };
        const task = tx.reservation(fromHolderId);
        const gives = task !== undefined && task.nodeId === nodeId && task.amounts.pools.some((p) => p.claimId === claimId);
        const existing = tx.reservation(holderId);
        const same = existing !== undefined && existing.nodeId === nodeId && existing.kind === 'static' && sameAmounts(existing.amounts, amounts);
        if (!gives && same) return { status: 'already-reserved', reservation: existing };
        if (gives) {
          tx.deleteReservation(fromHolderId);
          tx.insertReservation({ ...task, amounts: { ...task.amounts, pools: task.amounts.pools.filter((p) => p.claimId !== claimId) } });
        }
        const credit = existing && existing.nodeId === nodeId ? existing.amounts : undefined;
        const state = tx.nodeState(nodeId)!;
        const shortfalls = findShortfalls(state, amounts, credit);
        if (shortfalls.length > 0) throw new MoveRefused({ status: 'insufficient', nodeId, shortfalls, state }); // rolls the task's part back
        if (existing) tx.deleteReservation(holderId);
        const reservation: Reservation = { holderId, kind: 'static', nodeId, role, amounts };
        tx.insertReservation(reservation);
        return existing ? { status: 'reserved', reservation, replaced: existing } : { status: 'reserved', reservation };
      });
    } catch (error) {
      if (error instanceof MoveRefused) return error.outcome;
      throw error;
    }
  }

  /**
   * Records a reservation for something that already holds the resources — a task that runs, a volume
   * that exists — even when the node's capacity no longer covers it (the node shrank, or reported less
   * while the server was down). Refusing it would count those resources as free and let new work
   * overcommit the node further; recorded, the node shows no room until it frees up. Returns the
   * shortfalls the node now has (empty when it fits). Only for rebuilding the ledger from records.
   */
  async adopt(request: ReservationRequest): Promise<AdoptOutcome> {
    validateAmounts(request.amounts);
    const kind = request.kind ?? 'task';
    return this.store.transaction((tx) => {
      const state = tx.nodeState(request.nodeId);
      if (!state) return { unknownNode: request.nodeId };
      const existing = tx.reservation(request.holderId);
      const credit = existing && existing.nodeId === request.nodeId ? existing.amounts : undefined;
      const shortfalls = findShortfalls(state, request.amounts, credit);
      if (existing) tx.deleteReservation(existing.holderId);
      const reservation = reservationFor(request, kind);
      tx.insertReservation(reservation);
      return { reservation, shortfalls };
    });
  }

  /** Sets aside resources on a node for an operator-defined role (e.g. "system"); replaces that role's previous amounts. */
  reserveStatic(nodeId: string, role: string, amounts: ResourceAmounts): Promise<ReserveOutcome> {
    return this.reserve({ holderId: staticHolderId(nodeId, role), nodeId, amounts, kind: 'static', role, replaceExisting: true });
  }

  releaseStatic(nodeId: string, role: string): Promise<ReleaseOutcome> {
    return this.release(staticHolderId(nodeId, role));
  }

  /** Releases a holder's reservation. Idempotent: releasing what is not there answers `not-found`, never throws. */
  release(holderId: string): Promise<ReleaseOutcome> {
    return this.store.transaction((tx): ReleaseOutcome => {
      const deleted = tx.deleteReservation(holderId);
      return deleted ? { status: 'released', reservation: deleted } : { status: 'not-found', holderId };
    });
  }

  /** Task reservations whose task is not among `liveTaskIds` (deleted tasks, crashed placements). */
  findOrphans(liveTaskIds: ReadonlySet<string>): Promise<Reservation[]> {
    return this.store.transaction((tx) => findOrphans(tx.reservations(), liveTaskIds));
  }

  /**
   * Finds and releases orphans in one transaction, so a task that appears meanwhile cannot lose a
   * fresh reservation: the liveness set and the deletes refer to the same instant.
   */
  releaseOrphans(liveTaskIds: ReadonlySet<string>): Promise<Reservation[]> {
    return this.store.transaction((tx) => {
      const orphans = findOrphans(tx.reservations(), liveTaskIds);
      for (const o of orphans) tx.deleteReservation(o.holderId);
      return orphans;
    });
  }

  snapshot(): Promise<LedgerSnapshot> {
    return this.store.snapshot();
  }

  reservationsOf(holderIds: readonly string[]): Promise<ReadonlyMap<string, Reservation>> {
    return this.store.reservationsOf(holderIds);
  }

  nodeState(nodeId: string): Promise<NodeLedgerState | undefined> {
    return this.store.transaction((tx) => tx.nodeState(nodeId));
  }

  /** All reservations, sorted by node then holder (for `berth get reservations`). */
  list(): Promise<Reservation[]> {
    return this.store.transaction((tx) => [...tx.reservations()].sort((a, b) => a.nodeId.localeCompare(b.nodeId) || a.holderId.localeCompare(b.holderId)));
  }
}

/** The record a request asks for (`reserve` and `adopt` write the same shape). */
function reservationFor(request: ReservationRequest, kind: ReservationKind): Reservation {
  return { holderId: request.holderId, kind, nodeId: request.nodeId, amounts: request.amounts, ...(request.role !== undefined ? { role: request.role } : {}) };
}

/** Thrown inside a transaction to roll it back, carrying the outcome to answer. */
class MoveRefused extends Error {
  constructor(readonly outcome: ReserveOutcome) {
    super('move to static reservation refused');
  }
}
