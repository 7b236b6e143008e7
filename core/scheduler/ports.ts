/**
 * What the scheduler needs from the reservation ledger — nothing more. core/reservations' Ledger
 * satisfies it structurally; the scheduler never imports core/reservations.
 */
import type { LedgerSnapshot, Reservation, ReservationRequest, ReserveOutcome } from '../domain';

export interface PlacementLedger {
  /** Every node's capacity and usage at one instant. */
  snapshot(): Promise<LedgerSnapshot>;
  /** Current reservations of these holders (task ids). */
  reservationsOf(holderIds: readonly string[]): Promise<ReadonlyMap<string, Reservation>>;
  /** The authoritative, atomic check-and-commit. */
  reserve(request: ReservationRequest): Promise<ReserveOutcome>;
}
