import { Logger } from '../../lib/logging/logger';
import { Initiator, PoolSpec } from './options';

export const DRIVER_NAME = 'berth.iscsi';
export const DRIVER_VERSION = '0.1.0';
export const DEFAULT_IQN_PREFIX = 'iqn.2025-01.io.berth';
/** Every volume is one target with its data on LUN 1 (LUN 0 is tgt's controller LUN). */
export const DATA_LUN = 1;

export type ServiceMode = 'all' | 'controller' | 'node';
/** How NodeStage reaches a LUN: the kernel initiator, or qemu-nbd + nbdfuse + a loop device. */
export type AttachMode = 'auto' | 'kernel' | 'userspace';
export type FsType = 'ext4' | 'xfs';
export const FS_TYPES: ReadonlySet<string> = new Set(['ext4', 'xfs']);
/** mkfs.xfs refuses filesystems smaller than 300 MiB; xfs volumes are rounded up to this. */
export const XFS_MIN_BYTES = 300 * 1024 * 1024;

export interface IscsiDriverOptions {
  nodeId: string;
  mode: ServiceMode;
  /** Backing-file pools (controller). */
  pools: PoolSpec[];
  /** state: controller.json, node.json, and the FUSE attach directories. */
  stateDir: string;
  /** `HOST:PORT` where tgtd listens and initiators connect. */
  portal: string;
  iqnPrefix: string;
  /** This node's initiator IQN (what the user-space initiator presents; the kernel one's is in /etc/iscsi). */
  initiatorIqn: string;
  /** Address this node's initiator connects from, when the controller should bind by address too. */
  initiatorAddress?: string;
  /** Controller: node id → how its initiator is bound. This node is added automatically. */
  nodeInitiators: Map<string, Initiator[]>;
  attach: AttachMode;
  defaultFsType: FsType;
  defaultVolumeBytes: number;
  /** Re-create missing targets/LUNs/ACLs every this many ms (tgtd restarted = empty); 0 = only at start. */
  reconcileIntervalMs: number;
  log: Logger;
}
