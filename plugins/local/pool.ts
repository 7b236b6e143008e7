import { existsSync, mkdirSync, rmSync, statfsSync, writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { blockImageIn, snapshotPathIn } from '../../lib/berth-local/fast-path';
import { run } from '../../lib/exec/run';
import * as btrfs from '../sdk/btrfs';

export type AccessType = 'mount' | 'block';

/**
 * One storage pool on this node. Volumes live in `<root>/volumes/<id>` and snapshots in
 * `<root>/snapshots/<id>`; a block volume is the sparse file `block.img` inside its volume directory,
 * so snapshots and clones work the same for both access types. The snapshot and block image names are
 * a contract with the agent's data mover, which reads snapshots in place (lib/berth-local/fast-path.ts).
 */
export interface Pool {
  readonly name: string;
  readonly kind: 'btrfs' | 'dir';
  /** True when the pool enforces each volume's size (btrfs qgroups); a `dir` pool only accounts it. */
  readonly enforcesCapacity: boolean;
  readonly root: string;
  /** The directory snapshots lie in, listed to the data mover by GetPluginInfo. */
  readonly snapshotsDir: string;
  totalBytes(): number;
  volumePath(id: string): string;
  snapshotPath(id: string): string;
  blockImagePath(volumeId: string): string;
  exists(path: string): boolean;
  createVolume(id: string): Promise<void>;
  createVolumeFrom(id: string, sourcePath: string): Promise<void>;
  setLimit(id: string, bytes: number): Promise<void>;
  deleteVolume(id: string): Promise<void>;
  createSnapshot(volumeId: string, snapshotId: string): Promise<void>;
  deleteSnapshot(id: string): Promise<void>;
  /** Bytes a volume holds now (qgroup referenced bytes on btrfs, a walk of the tree on dir pools). */
  usedBytes(id: string): Promise<number>;
  /** Checks the pool is mounted and writable. */
  probe(): Promise<void>;
}

abstract class PoolBase {
  constructor(
    readonly name: string,
    readonly root: string,
  ) {}
  totalBytes(): number {
    const s = statfsSync(this.root);
    return s.blocks * s.bsize;
  }
  volumePath(id: string): string {
    return join(this.root, 'volumes', id);
  }
  get snapshotsDir(): string {
    return join(this.root, 'snapshots');
  }
  snapshotPath(id: string): string {
    return snapshotPathIn(this.snapshotsDir, id);
  }
  blockImagePath(volumeId: string): string {
    return blockImageIn(this.volumePath(volumeId));
  }
  exists(path: string): boolean {
    return existsSync(path);
  }
  protected ensureLayout(): void {
    mkdirSync(join(this.root, 'volumes'), { recursive: true, mode: 0o700 });
    mkdirSync(this.snapshotsDir, { recursive: true, mode: 0o700 });
  }
  async probe(): Promise<void> {
    const probe = join(this.root, `.probe-${process.pid}`);
    writeFileSync(probe, 'ok', { mode: 0o600 });
    unlinkSync(probe);
  }
}

/** A btrfs filesystem: a subvolume per volume with a qgroup limit, read-only snapshots, writable clones. */
export class BtrfsPool extends PoolBase implements Pool {
  readonly kind = 'btrfs' as const;
  readonly enforcesCapacity = true;

  async open(): Promise<void> {
    const fsType = await btrfs.fsTypeOf(this.root);
    if (fsType !== 'btrfs') throw new Error(`pool ${this.name}: ${this.root} is ${fsType}, not a btrfs filesystem`);
    this.ensureLayout();
    // Quotas are what make a volume's size a limit; enabling them again is a no-op.
    await btrfs.enableQuota(this.root);
  }

  async createVolume(id: string): Promise<void> {
    await btrfs.createSubvolume(this.volumePath(id));
  }
  async createVolumeFrom(id: string, sourcePath: string): Promise<void> {
    await btrfs.snapshotSubvolume(sourcePath, this.volumePath(id), false);
  }
  async setLimit(id: string, bytes: number): Promise<void> {
    await btrfs.setQgroupLimit(this.volumePath(id), bytes);
  }
  async deleteVolume(id: string): Promise<void> {
    await btrfs.deleteSubvolume(this.volumePath(id));
  }
  async createSnapshot(volumeId: string, snapshotId: string): Promise<void> {
    await btrfs.snapshotSubvolume(this.volumePath(volumeId), this.snapshotPath(snapshotId), true);
  }
  async deleteSnapshot(id: string): Promise<void> {
    await btrfs.deleteSubvolume(this.snapshotPath(id));
  }
  async usedBytes(id: string): Promise<number> {
    return btrfs.referencedBytes(this.volumePath(id));
  }
}

/** A plain directory per volume, for machines without btrfs or root: sizes are accounted, not enforced. */
export class DirPool extends PoolBase implements Pool {
  readonly kind = 'dir' as const;
  readonly enforcesCapacity = false;

  async open(): Promise<void> {
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    this.ensureLayout();
  }
  async createVolume(id: string): Promise<void> {
    mkdirSync(this.volumePath(id), { mode: 0o755 });
  }
  async createVolumeFrom(id: string, sourcePath: string): Promise<void> {
    await run('cp', ['-a', '--reflink=auto', sourcePath, this.volumePath(id)]);
  }
  async setLimit(): Promise<void> {
    /* a dir pool cannot enforce a size; the ledger accounts it */
  }
  async deleteVolume(id: string): Promise<void> {
    rmSync(this.volumePath(id), { recursive: true, force: true });
  }
  async createSnapshot(volumeId: string, snapshotId: string): Promise<void> {
    await run('cp', ['-a', '--reflink=auto', this.volumePath(volumeId), this.snapshotPath(snapshotId)]);
  }
  async deleteSnapshot(id: string): Promise<void> {
    rmSync(this.snapshotPath(id), { recursive: true, force: true });
  }
  async usedBytes(id: string): Promise<number> {
    const out = await run('du', ['-sb', this.volumePath(id)]);
    return Number(out.split(/\s+/)[0]);
  }
}
