/**
 * The narrow persistence contract behind the ledger. The server uses the in-memory implementation
 * (memory-store.ts) and re-derives every reservation from its records at start (server/controllers/ledger-rebuild.ts);
 * a durable implementation (etcd, for several servers) would only need the guarantees written below.
 */
import type { LedgerSnapshot, NodeCapacity, NodeLedgerState, Reservation } from '../domain';

/**
 * Reads and writes available inside one transaction. Synchronous on purpose: the ledger's
 * check-and-commit must not yield between reading usage and writing the reservation.
 */
export interface LedgerTx {
  nodeState(nodeId: string): NodeLedgerState | undefined;
  /** Creates the node or changes its capacity; existing usage is kept (it may now exceed capacity). */
  setNodeCapacity(nodeId: string, capacity: NodeCapacity): void;
  reservation(holderId: string): Reservation | undefined;
  /** Inserts a reservation for a holder that has none, adding its amounts to the node's usage. */
  insertReservation(reservation: Reservation): void;
  /** Deletes the holder's reservation and subtracts it from usage; returns what was deleted. */
  deleteReservation(holderId: string): Reservation | undefined;
  reservations(): Iterable<Reservation>;
}

/**
 * Guarantees every implementation must give:
 * 1. `transaction(fn)` is serializable: no other transaction's writes become visible to `fn`, and
 *    none interleave with it, between its first read and its commit (in-memory: `fn` runs to
 *    completion on the single JS thread; SQLite: BEGIN IMMEDIATE takes the write lock before the
 *    first read).
 * 2. Atomic: if `fn` throws, none of its writes persist.
 * 3. Usage is an index maintained inside the same transaction as the reservation rows, so a
 *    node's `used` always equals the sum of its reservations.
 * 4. `fn` is synchronous; a store rejects a callback that returns a promise (awaiting inside
 *    would break 1).
 */
export interface LedgerStore {
  transaction<T>(fn: (tx: LedgerTx) => T): Promise<T>;
  /** Every node's state at one instant (for a scheduling pass). */
  snapshot(): Promise<LedgerSnapshot>;
  /** The current reservations of the given holders (those without one are absent). */
  reservationsOf(holderIds: readonly string[]): Promise<ReadonlyMap<string, Reservation>>;
}
