import { Logger } from '../../lib/logging/logger';
import { PoolSpec } from './pool-spec';

export const DRIVER_NAME = 'berth.local';
export const DRIVER_VERSION = '0.1.0';
/** The topology segment key: a local volume is accessible from exactly the node whose id it carries. */
export const TOPOLOGY_NODE_KEY = 'berth.io/node';

export interface LocalDriverOptions {
  nodeId: string;
  pools: PoolSpec[];
  /** Where the plugin keeps state.json and mounts `file:` pools. */
  stateDir: string;
  /** Size of a volume whose request names no capacity. */
  defaultVolumeBytes: number;
  /** Reported in NodeGetInfo as the attach limit; 0 means no limit. */
  maxVolumesPerNode: number;
  log: Logger;
}
