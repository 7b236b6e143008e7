/** core/reservations: the ledger. Imports only core/domain. */
export { Ledger, staticHolderId } from './ledger';
export type { AdoptOutcome } from './ledger';
export type { LedgerStore, LedgerTx } from './ledger-store';
export { InMemoryLedgerStore } from './memory-store';
export type { InMemoryLedgerStoreOptions } from './memory-store';
export { findOrphans } from './orphans';
