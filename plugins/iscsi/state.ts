import { join } from 'node:path';
import { readStateFile, writeStateFile } from '../sdk/state-file';
import { AccessType } from './capabilities';
import { Initiator } from './options';

/**
 * `creating` / `deleting` are intents written before tgtd or the pool is touched: a crash in the middle
 * leaves a record saying what to undo or finish on the next start.
 */
export type RecordStatus = 'creating' | 'ready' | 'deleting';

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

export interface SnapshotRecord {
  id: string;
  name: string;
  sourceVolumeId: string;
  pool: string;
  sizeBytes: number;
  accessType: AccessType;
  fsType: string;
  status: RecordStatus;
  createdAtMs: number;
}

interface ControllerFile { version: 1; nextTid: number; volumes: VolumeRecord[]; snapshots: SnapshotRecord[] }

/** The controller's durable state: one JSON document, replaced atomically on every change. */
export class ControllerState {
  readonly volumes = new Map<string, VolumeRecord>();
  readonly snapshots = new Map<string, SnapshotRecord>();
  nextTid = 1;
  private readonly file: string;

  constructor(dir: string) {
    this.file = join(dir, 'controller.json');
    const data = readStateFile<ControllerFile>(this.file);
    if (data) {
      this.nextTid = data.nextTid;
      for (const v of data.volumes) this.volumes.set(v.id, v);
      for (const s of data.snapshots) this.snapshots.set(s.id, s);
    }
  }

  save(): void {
    const data: ControllerFile = { version: 1, nextTid: this.nextTid, volumes: [...this.volumes.values()], snapshots: [...this.snapshots.values()] };
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

  /** Bytes promised in a pool: volumes and snapshots may each grow to their full size in a sparse file. */
  provisionedBytes(pool: string): number {
    let sum = 0;
    for (const v of this.volumes.values()) if (v.pool === pool) sum += v.capacityBytes;
    for (const s of this.snapshots.values()) if (s.pool === pool) sum += s.sizeBytes;
    return sum;
  }
}

/** Where a staged LUN came from and how it is attached on this node. */
export interface TargetRef { portal: string; iqn: string; lun: number }

export type Attachment =
  /** nbdfuse (and its qemu-nbd) serve the LUN as `${fuseDir}/nbd`; `pid` is nbdfuse's. */
  | { kind: 'userspace'; fuseDir: string; pid?: number }
  | { kind: 'kernel'; session: string };

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

interface NodeFile { version: 1; stages: StageRecord[]; publications: NodePublication[] }

/** The node's durable state: what is attached, staged and published here. */
export class NodeState {
  readonly stages = new Map<string, StageRecord>();
  readonly publications = new Map<string, NodePublication>();
  private readonly file: string;

  constructor(dir: string) {
    this.file = join(dir, 'node.json');
    const data = readStateFile<NodeFile>(this.file);
    if (data) {
      for (const s of data.stages) this.stages.set(s.volumeId, s);
      for (const p of data.publications) this.publications.set(p.targetPath, p);
    }
  }

  save(): void {
    const data: NodeFile = { version: 1, stages: [...this.stages.values()], publications: [...this.publications.values()] };
    writeStateFile(this.file, data);
  }

  publicationsOf(volumeId: string): NodePublication[] {
    return [...this.publications.values()].filter((p) => p.volumeId === volumeId);
  }
}
