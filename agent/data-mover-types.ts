import type { VolumeEntry } from '../backup/repository/manifest';

/**
 * What the agent's data mover answers on the last DataMoverProgress message (`result`, encoded and
 * decoded by data-mover-result.ts). Shared by the agent (which writes it) and the server (which
 * records it), so both sides agree on one shape.
 */
export interface BackupVolumeResult {
  /** The volume as stored in the repository: its tree blob and stats. The server puts it into the manifest. */
  entry: VolumeEntry;
  /**
   * Opaque to the server: handed back as `parent_change_marker` with the next backup of the same
   * source volume so that one reads only what changed (for berth.local: the btrfs generation of the snapshot).
   */
  changeMarker: string;
  /** `fast`: the snapshot was read where the plugin keeps it; `generic`: through a temporary volume from the snapshot. */
  path: 'fast' | 'generic';
  /** How changes were found: btrfs generations, a parent block map compared by hashes, or none (full read). */
  changeDetection: 'btrfs-generation' | 'parent-compare' | 'full';
}

export interface RestoreVolumeResult {
  bytes: number;
  files: number;
  path: 'fast' | 'generic';
}

/** While a data-mover call runs, the agent sends at least one message this often (progress, or the latest again). */
export const MOVER_HEARTBEAT_MS = 15_000;
/** The server gives up on a data-mover call after this long without a message: the node or its agent is gone. */
export const MOVER_STALL_MS = 6 * MOVER_HEARTBEAT_MS;
