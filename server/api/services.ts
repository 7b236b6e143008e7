import type { ServerMetrics } from '../../api';
import type { ClusterContext } from '../cluster-context';
import type { BackupSchedules } from '../data-protection/backup-schedules';
import type { BackupService } from '../data-protection/backups';
import type { RecoveryPoints } from '../data-protection/recovery-points';
import type { Repositories } from '../data-protection/repositories';
import type { ClusterService } from './cluster-service';

/** What the API's routes answer from. */
export interface ApiServices {
  /** Restores write and read the store directly. */
  ctx: ClusterContext;
  cluster: ClusterService;
  recoveryPoints: RecoveryPoints;
  repositories: Repositories;
  backups: BackupService;
  schedules: BackupSchedules;
  /** Wakes the control loop after a write it should act on at once. */
  kick: () => void;
  /** The control loop's counters (GET /v1/metrics). */
  controlLoop: ServerMetrics['reconcile'];
}
