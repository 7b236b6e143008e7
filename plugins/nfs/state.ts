import { join } from 'node:path';
import { readStateFile, writeStateFile } from '../sdk/state-file';
import { Squash } from './ganesha-config';

/**
 * `creating` and `deleting` are intents, written before the filesystem or ganesha is touched, so a crash
 * in the middle of an operation leaves a record saying what to finish or undo on the next start.
 */
export type RecordStatus = 'creating' | 'ready' | 'deleting';

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

export interface SnapshotRecord {
  id: string;
  name: string;
  sourceVolumeId: string;
  sizeBytes: number;
  status: RecordStatus;
  createdAtMs: number;
}

/** A node-side NFS mount made by NodePublishVolume. */
export interface NodePublishRecord {
  volumeId: string;
  targetPath: string;
  readOnly: boolean;
  capabilityKey: string;
  /** `server:share` that was mounted. */
  source: string;
}

interface StateFile {
  version: 1;
  volumes: VolumeRecord[];
  snapshots: SnapshotRecord[];
  nodePublications: NodePublishRecord[];
}

/** The plugin's durable state: one JSON document, replaced atomically on every change. */
export class NfsState {
  readonly volumes = new Map<string, VolumeRecord>();
  readonly snapshots = new Map<string, SnapshotRecord>();
  /** Keyed by target path. */
  readonly nodePublications = new Map<string, NodePublishRecord>();
  private readonly file: string;

  constructor(dir: string) {
    this.file = join(dir, 'state.json');
    const data = readStateFile<StateFile>(this.file);
    if (data) {
      for (const v of data.volumes) this.volumes.set(v.id, v);
      for (const s of data.snapshots) this.snapshots.set(s.id, s);
      for (const p of data.nodePublications) this.nodePublications.set(p.targetPath, p);
    }
  }

  save(): void {
    const data: StateFile = {
      version: 1,
      volumes: [...this.volumes.values()],
      snapshots: [...this.snapshots.values()],
      nodePublications: [...this.nodePublications.values()],
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

  nodePublicationsOf(volumeId: string): NodePublishRecord[] {
    return [...this.nodePublications.values()].filter((p) => p.volumeId === volumeId);
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
