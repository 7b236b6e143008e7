import { join } from 'node:path';
import type { SnapshotRecordBase } from '../sdk/snapshots';
import { findByName, RecordStatus, recordsOfVolume, StateStore } from '../sdk/state-store';
import { AccessType } from './capabilities';
import { Initiator } from './options';

/** A volume published to a node: which initiators its target admits for that node. */
export interface Publication {
  nodeId: string;
  readOnly: boolean;
  capabilityKey: string;
  initiators: Initiator[];
}

export interface VolumeRecord {
  id: string;
  name: string;
  pool: string;
  capacityBytes: number;
  accessType: AccessType;
  /** Filesystem made on first stage ('' for block volumes). */
  fsType: string;
  /** tgt target id; persisted so a restarted tgtd gets the same target back. */
  tid: number;
  status: RecordStatus;
  parameters: Record<string, string>;
  source?: { snapshotId?: string; volumeId?: string };
  publications: Publication[];
  createdAt: string;
}

export interface SnapshotRecord extends SnapshotRecordBase {
  pool: string;
  accessType: AccessType;
  fsType: string;
}

/** The controller's durable state: one JSON document, replaced atomically on every change. */
export class ControllerState extends StateStore {
  /** The next tgt target id to try (tgtd's own ids must not be reused for another volume). */
  nextTid = this.loadedValue<number>('nextTid') ?? 1;
  readonly volumes = this.table<VolumeRecord>('volumes', (v) => v.id);
  readonly snapshots = this.table<SnapshotRecord>('snapshots', (s) => s.id);

  constructor(dir: string) {
    super(join(dir, 'controller.json'));
  }

  protected override values(): Record<string, unknown> {
    return { nextTid: this.nextTid };
  }

  volumeByName(name: string): VolumeRecord | undefined {
    return findByName(this.volumes, name);
  }

  snapshotByName(name: string): SnapshotRecord | undefined {
    return findByName(this.snapshots, name);
  }

  /** Bytes promised in a pool: volumes and snapshots may each grow to their full size in a sparse file. */
  provisionedBytes(pool: string): number {
    let sum = 0;
    for (const v of this.volumes.values()) if (v.pool === pool) sum += v.capacityBytes;
    for (const s of this.snapshots.values()) if (s.pool === pool) sum += s.sizeBytes;
    return sum;
  }
}

/** Where a staged LUN came from and how it is attached on this node. */
export interface TargetRef {
  portal: string;
  iqn: string;
  lun: number;
}

export type Attachment =
  /** nbdfuse (and its qemu-nbd) serve the LUN as `${fuseDir}/nbd`; `pid` is nbdfuse's. */
  { kind: 'userspace'; fuseDir: string; pid?: number } | { kind: 'kernel'; session: string };

export type StageStatus = 'attaching' | 'staged';

export interface StageRecord {
  volumeId: string;
  stagingPath: string;
  accessType: AccessType;
  fsType: string;
  capabilityKey: string;
  readOnly: boolean;
  status: StageStatus;
  target: TargetRef;
  attachment: Attachment;
  /** The block device the LUN appears as (a loop device on the user-space path). */
  device?: string;
}

export interface NodePublication {
  volumeId: string;
  targetPath: string;
  readOnly: boolean;
  accessType: AccessType;
  capabilityKey: string;
  /** Read-only block publications get their own read-only loop device: a ro bind of a device node does not stop writes. */
  readOnlyLoop?: string;
}

/** The node's durable state: what is attached, staged and published here. */
export class NodeState extends StateStore {
  readonly stages = this.table<StageRecord>('stages', (s) => s.volumeId);
  readonly publications = this.table<NodePublication>('publications', (p) => p.targetPath);

  constructor(dir: string) {
    super(join(dir, 'node.json'));
  }

  publicationsOf(volumeId: string): NodePublication[] {
    return recordsOfVolume(this.publications, volumeId);
  }
}
