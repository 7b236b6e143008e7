import type { BackupManifest } from '../../backup/repository';
import { BACKUP_METADATA_KIND, BACKUP_METADATA_VERSION, parseBackupMetadata } from './backup-metadata';
import type { BackupAppMetadata } from './backup-metadata';
import { computeProgress } from './backup-policy';
import type { BackupProgress } from './backup-policy';
import type { BackupRecord, BackupVolumeRecord, RecoveryPointRecord } from '../store/records';

/** A backup as the API shows it: the record plus where it is known from and how far it is. */
export type BackupView = BackupRecord & { origin: 'cluster' | 'repository'; progress: BackupProgress };

/** The app metadata a backup's manifest carries (what a restore needs, also in a cluster that has only the repository). */
export function backupMetadata(rp: RecoveryPointRecord, record: BackupRecord): BackupAppMetadata {
  return {
    kind: BACKUP_METADATA_KIND,
    version: BACKUP_METADATA_VERSION,
    app: rp.app,
    generation: rp.generation,
    spec: rp.spec,
    claims: rp.claims,
    storageClasses: rp.storageClasses,
    reservations: rp.reservations,
    consistency: rp.consistency,
    ...(rp.consistencyReason ? { consistencyReason: rp.consistencyReason } : {}),
    recoveryPoint: rp.id,
    hooks: rp.hooks,
    volumes: record.volumes.map((v) => ({
      volume: v.volume,
      claimId: v.claimId,
      template: v.template,
      instance: v.instance,
      plugin: v.plugin,
      block: v.block,
      sizeBytes: rp.snapshots.find((s) => s.claimId === v.claimId)?.sizeBytes ?? v.bytesTotal,
      sourceVolumeId: v.sourceVolumeId,
      sourceCsiVolumeId: v.sourceCsiVolumeId,
      changeMarker: v.changeMarker ?? '',
    })),
    ...(record.schedule ? { schedule: record.schedule } : {}),
    ...(record.parent ? { parent: record.parent } : {}),
  };
}

/**
 * A committed backup's totals from its manifest. `bytesStored` only when the manifest has it: the
 * older `bytesAdded` of a server backup was not what the repository grew by.
 */
export function backupTotals(m: BackupManifest): Pick<BackupRecord, 'bytesRead' | 'bytesNew' | 'bytesStored'> {
  return {
    bytesRead: m.stats.bytesRead,
    bytesNew: m.stats.bytesNew ?? m.volumes.reduce((a, v) => a + v.stats.bytesNew, 0),
    ...(m.stats.bytesStored === undefined ? {} : { bytesStored: m.stats.bytesStored }),
  };
}

/**
 * A manifest this cluster has no record of (e.g. a fresh cluster after a disaster), shown from its
 * metadata as a ready backup; a manifest that is not a Berth app backup is still listed, without app details.
 */
export function viewFromManifest(m: BackupManifest, repository: string): BackupView {
  let meta: BackupAppMetadata | undefined;
  try {
    meta = parseBackupMetadata(m.app, m.id);
  } catch {
    meta = undefined;
  }
  const volumes: BackupVolumeRecord[] = m.volumes.map((v) => {
    const mv = meta?.volumes.find((x) => x.volume === v.name);
    return {
      volume: v.name,
      claimId: mv?.claimId ?? '',
      template: mv?.template ?? '',
      instance: mv?.instance ?? 0,
      plugin: mv?.plugin ?? '',
      block: v.kind === 'blocks',
      sourceVolumeId: mv?.sourceVolumeId ?? '',
      sourceCsiVolumeId: mv?.sourceCsiVolumeId ?? '',
      state: 'done',
      bytesDone: v.stats.bytesRead,
      bytesTotal: v.size,
      filesDone: v.stats.files ?? 0,
      bytesNew: v.stats.bytesNew,
      ...(v.stats.bytesStored === undefined ? {} : { bytesStored: v.stats.bytesStored }),
      ...(mv?.changeMarker ? { changeMarker: mv.changeMarker } : {}),
    };
  });
  const record: BackupRecord = {
    id: m.id,
    app: meta?.app ?? '',
    repository,
    repoBackupId: m.id,
    state: 'ready',
    volumes,
    startedAt: m.time,
    finishedAt: m.time,
    ...backupTotals(m),
    ...(meta ? { consistency: meta.consistency, recoveryPointId: meta.recoveryPoint, hooks: meta.hooks } : {}),
    ...(meta?.consistencyReason ? { consistencyReason: meta.consistencyReason } : {}),
    ...(meta?.schedule ? { schedule: meta.schedule } : {}),
    ...(m.parent ? { parent: m.parent } : {}),
  };
  return { ...record, origin: 'repository', progress: computeProgress(record, undefined, Date.now()) };
}
