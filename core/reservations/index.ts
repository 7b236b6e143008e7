/** core/reservations: the ledger. Imports only core/domain. */
export { Ledger } from './ledger';
export type { LedgerOptions } from './ledger';
// Holder ids live in core/domain (the scheduler reserves for tasks too); re-exported for the ledger's clients.
export { staticHolderId, taskHolderId } from '../domain';
export type { AdoptOutcome } from './ledger';
export type { LedgerStore, LedgerTx } from './ledger-store';
export { InMemoryLedgerStore } from './memory-store';
export type { InMemoryLedgerStoreOptions } from './memory-store';
export { findOrphans } from './orphans';
