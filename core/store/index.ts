/** core/store: Berth's state behind a narrow Store interface; SQLite (better-sqlite3, WAL) by default. */
export type * from './store';
export * from './records';
export * from './errors';
export { claimId, parseClaimId, attachmentId, pluginNodeId } from './ids';
export { openSqliteStore, openStoreInDataDir, STORE_FILE_NAME } from './sqlite/open';
export type { SqliteStoreOptions } from './sqlite/open';
export { SqliteStore } from './sqlite/sqlite-store';
export type { StoreDiagnostics } from './sqlite/sqlite-store';
export { migrate, MIGRATIONS } from './sqlite/migrations';
export type { Migration, MigrationResult } from './sqlite/migrations';
export { storeReferenceLookup } from './reference-lookup';
export { applyManifests, ensureClaims } from './apply';
export type { AppliedObject, ApplyOptions } from './apply';
