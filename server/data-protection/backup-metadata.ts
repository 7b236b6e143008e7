import { invalidArgument } from '../../lib/errors';
import type { AppSpec } from '../../core/manifests';
import type { ClaimRecord, Consistency, HookRun, RecoveryPointRecord, StorageClassRecord } from '../store/records';

/**
 * The app metadata stored in a backup's manifest (the repository's opaque `app` field): everything a
 * restore needs to recreate the app — also in a fresh cluster that has only the repository. Written by
 * backups.ts, read by the restore. Versioned: a reader refuses versions it does not know.
 * Secrets referenced by storage classes are NOT stored (they stay in the cluster that made the backup);
 * a restore into a cluster without them says which are missing.
 */
export const BACKUP_METADATA_KIND = 'berth.app-backup';
export const BACKUP_METADATA_VERSION = 1;

export interface BackupVolumeMetadata {
  /** Name of the volume in the manifest: `<template>-<instance>`. */
  volume: string;
  claimId: string;
  template: string;
  instance: number;
  plugin: string;
  block: boolean;
  sizeBytes: number;
  sourceVolumeId: string;
  sourceCsiVolumeId: string;
  /** Handed back to the mover as parent_change_marker by the next incremental backup of the same source. */
  changeMarker: string;
}

export interface BackupAppMetadata {
  kind: typeof BACKUP_METADATA_KIND;
  version: typeof BACKUP_METADATA_VERSION;
  app: string;
  generation: number;
  spec: AppSpec;
  claims: ClaimRecord[];
  storageClasses: StorageClassRecord[];
  reservations: RecoveryPointRecord['reservations'];
  consistency: Consistency;
  /** Absent in backups made before it was recorded, and when app-consistent. */
  consistencyReason?: string;
  recoveryPoint: string;
  hooks: HookRun[];
  volumes: BackupVolumeMetadata[];
  /** The cluster's backup record id, schedule and parent backup (for listing from the repository alone). */
  schedule?: string;
  parent?: string;
}

/** The manifest volume name of claim (template, instance). */
export const backupVolumeName = (template: string, instance: number): string => `${template}-${instance}`;

/** Reads the metadata of a manifest, or explains why it is not a Berth app backup this server can restore. */
export function parseBackupMetadata(app: unknown, backupId: string): BackupAppMetadata {
  const m = app as Partial<BackupAppMetadata> | null;
  if (!m || typeof m !== 'object' || m.kind !== BACKUP_METADATA_KIND) throw invalidArgument(`backup ${backupId} is not a Berth app backup`);
  if (m.version !== BACKUP_METADATA_VERSION)
    throw invalidArgument(`backup ${backupId} has app metadata version ${String(m.version)}; this server reads version ${BACKUP_METADATA_VERSION}`);
  if (typeof m.app !== 'string' || !m.spec || !Array.isArray(m.volumes) || !Array.isArray(m.claims) || !Array.isArray(m.storageClasses)) {
    throw invalidArgument(`backup ${backupId} has incomplete app metadata`);
  }
  return m as BackupAppMetadata;
}
