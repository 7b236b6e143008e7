import { Logger } from '../../lib/logging/logger';

export const DRIVER_NAME = 'berth.nfs';
export const DRIVER_VERSION = '0.1.0';

/** Where and how the plugin talks to its nfs-ganesha server. The plugin owns the whole config file. */
export interface GaneshaOptions {
  /** The config file ganesha is started with (`ganesha.nfsd -f`); rewritten atomically on every change. */
  configPath: string;
  /** ganesha's pidfile (`ganesha.nfsd -p`): the process to SIGHUP after a rewrite. */
  pidFile: string;
  /** ganesha's log (`ganesha.nfsd -L`), optional: read to confirm a reload finished and which exports failed. */
  logFile?: string;
  /** NFS_CORE_PARAM.Bind_addr. */
  bindAddress: string;
  nfsPort: number;
  mountPort: number;
  /** NFSV4 RecoveryRoot. */
  recoveryRoot: string;
}

export interface NfsDriverOptions {
  /** This node's id, returned by NodeGetInfo. */
  nodeId: string;
  /**
   * Controller side: the directory volumes are created under (a mounted btrfs filesystem gives
   * subvolumes with enforced quotas; any other filesystem gives plain directories). Absent: node-only.
   */
  exportRoot?: string;
  /** The address nodes mount from (volume context `server`). */
  serverAddress: string;
  ganesha?: GaneshaOptions;
  /** node id → IP address that ganesha sees when that node mounts; a node id that is itself an IP needs no entry. */
  nodeAddresses: Map<string, string>;
  stateDir: string;
  defaultVolumeBytes: number;
  maxVolumesPerNode: number;
  log: Logger;
}
