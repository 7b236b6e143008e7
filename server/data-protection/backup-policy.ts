import type { BackupRecord } from '../store/records';

/**
 * The decisions of the backup service and its schedules that depend only on records and the clock:
 * which earlier backup a volume is incremental to, which backups retention deletes, and how far a
 * running backup is. Kept pure so they are tested without a cluster.
 */

export const isRunning = (b: BackupRecord): boolean => b.state === 'snapshotting' || b.state === 'uploading';

/** Newest first, by start time (ids start with the time too, so ties break the same way). */
const newestFirst = (a: BackupRecord, b: BackupRecord): number => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id);

export interface ParentChoice {
  backupId: string;
  changeMarker: string;
}

/**
 * The backup a new backup of `sourceVolumeId` is incremental to: the newest ready backup in the same
 * repository holding that source volume with a change marker. Only committed backups count: a failed
 * or running one may never have written the volume.
 */
export function chooseParent(backups: readonly BackupRecord[], repository: string, sourceVolumeId: string): ParentChoice | undefined {
  for (const b of [...backups].sort(newestFirst)) {
    if (b.repository !== repository || b.state !== 'ready') continue;
    const v = b.volumes.find((x) => x.sourceVolumeId === sourceVolumeId && x.changeMarker);
    if (v) return { backupId: b.repoBackupId ?? b.id, changeMarker: v.changeMarker! };
  }
  return undefined;
}

/**
 * The ready backups of one schedule that retention deletes: everything past the newest `keep`, and
 * anything older than `ttlSeconds`. Running and failed backups are never chosen (a running one is not
 * in the repository yet; a failed one holds nothing to keep).
 */
export function selectExpired(
  backups: readonly BackupRecord[],
  schedule: { name: string; app: string; repository: string },
  policy: { keep?: number; ttlSeconds?: number },
  nowMs: number,
): BackupRecord[] {
  // A schedule re-created under the same name for another app or repository must not count (and delete) the old one's backups.
  const ready = backups
    .filter((b) => b.schedule === schedule.name && b.app === schedule.app && b.repository === schedule.repository && b.state === 'ready')
    .sort(newestFirst);
  return ready.filter((b, i) => {
    if (policy.keep !== undefined && i >= policy.keep) return true;
    if (policy.ttlSeconds !== undefined && nowMs - Date.parse(b.startedAt) > policy.ttlSeconds * 1000) return true;
    return false;
  });
}

export interface BackupProgress {
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  /** 0..1, undefined while the total is unknown. */
  fraction?: number;
  /** Bytes per second since uploading started. */
  bytesPerSecond?: number;
  etaSeconds?: number;
}

/**
 * Progress of a backup from its volumes: bytes and files done, the average rate since `uploadStartedMs`
 * and the time left at that rate. A finished backup reports its totals and no ETA.
 */
export function computeProgress(b: Pick<BackupRecord, 'state' | 'volumes' | 'finishedAt'>, uploadStartedMs: number | undefined, nowMs: number): BackupProgress {
  const bytesDone = b.volumes.reduce((a, v) => a + v.bytesDone, 0);
  const bytesTotal = b.volumes.reduce((a, v) => a + v.bytesTotal, 0);
  const filesDone = b.volumes.reduce((a, v) => a + v.filesDone, 0);
  const p: BackupProgress = { bytesDone, bytesTotal, filesDone };
  if (bytesTotal > 0) p.fraction = Math.min(1, bytesDone / bytesTotal);
  const end = b.finishedAt ? Date.parse(b.finishedAt) : nowMs;
  const seconds = uploadStartedMs !== undefined ? (end - uploadStartedMs) / 1000 : 0;
  if (seconds > 0 && bytesDone > 0) {
    p.bytesPerSecond = Math.round(bytesDone / seconds);
    if (b.state === 'uploading' && bytesTotal > bytesDone) p.etaSeconds = Math.ceil((bytesTotal - bytesDone) / p.bytesPerSecond);
  }
  return p;
}

/** Runs `fn` over `items`, at most `limit` at a time; stops starting new ones once `stop()` says so. */
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>, stop: () => boolean): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !stop()) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
