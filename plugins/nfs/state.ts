import { join } from 'node:path';
import type { SnapshotRecordBase } from '../sdk/snapshots';
import { findByName, RecordStatus, recordsOfVolume, StateStore } from '../sdk/state-store';
import { Squash } from './ganesha-config';

/** One node allowed into a volume's export (ControllerPublishVolume). */
export interface ControllerPublication {
  nodeId: string;
  /** The address the ganesha CLIENT block lists for this node. */
  address: string;
  readOnly: boolean;
  capabilityKey: string;
  singleNode: boolean;
}

export interface VolumeRecord {
  id: string;
  name: string;
  capacityBytes: number;
  status: RecordStatus;
  parameters: Record<string, string>;
  squash: Squash;
  /** ganesha Export_Id, fixed for the volume's life. */
  exportId: number;
  source?: { snapshotId?: string; volumeId?: string };
  publications: ControllerPublication[];
  createdAt: string;
}

export type SnapshotRecord = SnapshotRecordBase;

/** A node-side NFS mount made by NodePublishVolume. */
export interface NodePublishRecord {
  volumeId: string;
  targetPath: string;
  readOnly: boolean;
  capabilityKey: string;
  /** `server:share` that was mounted. */
  source: string;
}

/** The plugin's durable state: one JSON document, replaced atomically on every change. */
export class NfsState extends StateStore {
  readonly volumes = this.table<VolumeRecord>('volumes', (v) => v.id);
  readonly snapshots = this.table<SnapshotRecord>('snapshots', (s) => s.id);
  /** Keyed by target path. */
  readonly nodePublications = this.table<NodePublishRecord>('nodePublications', (p) => p.targetPath);

  constructor(dir: string) {
    super(join(dir, 'state.json'));
  }

  volumeByName(name: string): VolumeRecord | undefined {
    return findByName(this.volumes, name);
  }

  snapshotByName(name: string): SnapshotRecord | undefined {
    return findByName(this.snapshots, name);
  }

  nodePublicationsOf(volumeId: string): NodePublishRecord[] {
    return recordsOfVolume(this.nodePublications, volumeId);
  }

  /** The smallest Export_Id no volume holds (1..65535; 0 is ganesha's pseudo-fs root). */
  freeExportId(): number {
    const used = new Set([...this.volumes.values()].map((v) => v.exportId));
    for (let id = 1; id <= 65535; id++) if (!used.has(id)) return id;
    throw new Error('all 65535 ganesha Export_Ids are in use');
  }

  provisionedBytes(): number {
    let sum = 0;
    for (const v of this.volumes.values()) sum += v.capacityBytes;
    return sum;
  }
}
