/**
 * Berth's backup repository: content-addressed, deduplicated, compressed-where-it-pays, encrypted
 * (AES-256-GCM, scrypt-derived key), packed, crash-safe. See repository.ts for the entry point.
 */
export { Repository, RepositoryOptions } from './repository';
export { BackupSession, BlockVolumeOptions, CommitOptions } from './backup-session';
export type { Backend } from './backend';
export { LocalBackend } from './local-backend';
export type { BlockMap, BlockExtent, ByteRange } from './block-map';
export type { FileTree, FileNode, ChunkRef } from './file-tree';
export type { BackupManifest, VolumeEntry, VolumeStats, BackupStats, JsonValue } from './manifest';
export { newBackupId } from './manifest';
export type { RepositoryLock } from './lock';
export type { CheckReport, CheckProblem, AffectedData } from './check';
export { formatProblem } from './check';
export type { PruneReport, PruneOptions } from './prune';
export { preferredCodec, codecName, Codec } from './compression';
export * from './errors';
