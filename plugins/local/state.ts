import { join } from 'node:path';
import type { SnapshotRecordBase } from '../sdk/snapshots';
import { findByName, RecordStatus, recordsOfVolume, StateStore } from '../sdk/state-store';
import { AccessType } from './pool';

export interface VolumeRecord {
  id: string;
  name: string;
  pool: string;
  capacityBytes: number;
  accessType: AccessType;
  status: RecordStatus;
  parameters: Record<string, string>;
  source?: { snapshotId?: string; volumeId?: string };
  createdAt: string;
}

export interface SnapshotRecord extends SnapshotRecordBase {
  pool: string;
  accessType: AccessType;
}

export interface StageRecord {
  volumeId: string;
  stagingPath: string;
  accessType: AccessType;
  /** The loop device a block volume is attached to while staged. */
  loopDevice?: string;
  capabilityKey: string;
}

export interface PublishRecord {
  volumeId: string;
  targetPath: string;
  readOnly: boolean;
  accessType: AccessType;
  capabilityKey: string;
  /** Read-only block publications get their own read-only loop device: a ro bind mount of a device node does not stop writes. */
  readOnlyLoop?: string;
}

/** The plugin's durable state: one JSON document, replaced atomically on every change. */
export class PluginState extends StateStore {
  readonly volumes = this.table<VolumeRecord>('volumes', (v) => v.id);
  readonly snapshots = this.table<SnapshotRecord>('snapshots', (s) => s.id);
  readonly stages = this.table<StageRecord>('stages', (s) => s.volumeId);
  /** Keyed by target path: one volume may be published at several targets. */
  readonly publications = this.table<PublishRecord>('publications', (p) => p.targetPath);

  constructor(dir: string) {
    super(join(dir, 'state.json'));
  }

  volumeByName(name: string): VolumeRecord | undefined {
    return findByName(this.volumes, name);
  }

  snapshotByName(name: string): SnapshotRecord | undefined {
    return findByName(this.snapshots, name);
  }

  publicationsOf(volumeId: string): PublishRecord[] {
    return recordsOfVolume(this.publications, volumeId);
  }

  /** Bytes promised to volumes in a pool: what capacity checks count against, whatever is written. */
  provisionedBytes(pool: string): number {
    let sum = 0;
    for (const v of this.volumes.values()) if (v.pool === pool) sum += v.capacityBytes;
    return sum;
  }
}
