import { join } from 'node:path';
import { readStateFile, writeStateFile } from '../sdk/state-file';
import { AccessType } from './pool';

/**
 * `creating` and `deleting` are intents, written before the filesystem is touched, so a crash in the
 * middle of an operation leaves a record saying what to finish or undo on the next start.
 */
export type RecordStatus = 'creating' | 'ready' | 'deleting';

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

export interface SnapshotRecord {
  id: string;
  name: string;
  sourceVolumeId: string;
  pool: string;
  sizeBytes: number;
  accessType: AccessType;
  status: RecordStatus;
  createdAtMs: number;
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

interface StateFile {
  version: 1;
  volumes: VolumeRecord[];
  snapshots: SnapshotRecord[];
  stages: StageRecord[];
  publications: PublishRecord[];
}

/** The plugin's durable state: one JSON document, replaced atomically on every change. */
export class PluginState {
  readonly volumes = new Map<string, VolumeRecord>();
  readonly snapshots = new Map<string, SnapshotRecord>();
  readonly stages = new Map<string, StageRecord>();
  /** Keyed by target path: one volume may be published at several targets. */
  readonly publications = new Map<string, PublishRecord>();
  private readonly file: string;

  constructor(dir: string) {
    this.file = join(dir, 'state.json');
    const data = readStateFile<StateFile>(this.file);
    if (data) {
      for (const v of data.volumes) this.volumes.set(v.id, v);
      for (const s of data.snapshots) this.snapshots.set(s.id, s);
      for (const s of data.stages) this.stages.set(s.volumeId, s);
      for (const p of data.publications) this.publications.set(p.targetPath, p);
    }
  }

  save(): void {
    const data: StateFile = {
      version: 1,
      volumes: [...this.volumes.values()],
      snapshots: [...this.snapshots.values()],
      stages: [...this.stages.values()],
      publications: [...this.publications.values()],
    };
    writeStateFile(this.file, data);
  }

  volumeByName(name: string): VolumeRecord | undefined {
    for (const v of this.volumes.values()) if (v.name === name) return v;
    return undefined;
  }

  snapshotByName(name: string): SnapshotRecord | undefined {
    for (const s of this.snapshots.values()) if (s.name === name) return s;
    return undefined;
  }

  publicationsOf(volumeId: string): PublishRecord[] {
    return [...this.publications.values()].filter((p) => p.volumeId === volumeId);
  }

  /** Bytes promised to volumes in a pool: what capacity checks count against, whatever is written. */
  provisionedBytes(pool: string): number {
    let sum = 0;
    for (const v of this.volumes.values()) if (v.pool === pool) sum += v.capacityBytes;
    return sum;
  }
}
