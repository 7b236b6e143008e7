import { existsSync, mkdirSync, rmSync, statfsSync, writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { blockImageIn, snapshotPathIn } from '../../lib/berth-local/fast-path';
import { run } from '../../lib/exec/run';

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
  constructor(readonly name: string, readonly root: string) {}
  totalBytes(): number {
    const s = statfsSync(this.root);
    return s.blocks * s.bsize;
  }
  volumePath(id: string): string { return join(this.root, 'volumes', id); }
  get snapshotsDir(): string { return join(this.root, 'snapshots'); }
  snapshotPath(id: string): string { return snapshotPathIn(this.snapshotsDir, id); }
  blockImagePath(volumeId: string): string { return blockImageIn(this.volumePath(volumeId)); }
  exists(path: string): boolean { return existsSync(path); }
  protected ensureLayout(): void {
    mkdirSync(join(this.root, 'volumes'), { recursive: true, mode: 0o700 });
    mkdirSync(this.snapshotsDir, { recursive: true, mode: 0o700 });
  }
  async probe(): Promise<void> {
    const probe = join(this.root, `.probe-${process.pid}`);
    writeFileSync(probe, 'ok');
    unlinkSync(probe);
  }
}

/** A btrfs filesystem: a subvolume per volume with a qgroup limit, read-only snapshots, writable clones. */
export class BtrfsPool extends PoolBase implements Pool {
  readonly kind = 'btrfs' as const;
  readonly enforcesCapacity = true;

  async open(): Promise<void> {
    const fsType = (await run('stat', ['-f', '-c', '%T', this.root])).trim();
    if (fsType !== 'btrfs') throw new Error(`pool ${this.name}: ${this.root} is ${fsType}, not a btrfs filesystem`);
    this.ensureLayout();
    // Quotas are what make a volume's size a limit; enabling them again is a no-op.
    await run('btrfs', ['quota', 'enable', this.root]);
  }

  async createVolume(id: string): Promise<void> {
    await run('btrfs', ['subvolume', 'create', this.volumePath(id)]);
  }
  async createVolumeFrom(id: string, sourcePath: string): Promise<void> {
    // A writable snapshot shares every extent with its source: instant, and no space until written.
    await run('btrfs', ['subvolume', 'snapshot', sourcePath, this.volumePath(id)]);
  }
  async setLimit(id: string, bytes: number): Promise<void> {
    await run('btrfs', ['qgroup', 'limit', String(bytes), this.volumePath(id)]);
  }
  async deleteVolume(id: string): Promise<void> {
    await deleteSubvolume(this.volumePath(id));
  }
  async createSnapshot(volumeId: string, snapshotId: string): Promise<void> {
    await run('btrfs', ['subvolume', 'snapshot', '-r', this.volumePath(volumeId), this.snapshotPath(snapshotId)]);
  }
  async deleteSnapshot(id: string): Promise<void> {
    await deleteSubvolume(this.snapshotPath(id));
  }
  async usedBytes(id: string): Promise<number> {
    // -f: only the qgroup of this subvolume; --raw: bytes. Row: qgroupid rfer excl [max_rfer].
    const out = await run('btrfs', ['qgroup', 'show', '-f', '--raw', this.volumePath(id)]);
    const row = out.split('\n').find((l) => /^0\/\d+\s/.test(l.trim()));
    return row ? Number(row.trim().split(/\s+/)[1]) : 0;
  }
}

async function deleteSubvolume(path: string): Promise<void> {
  if (!existsSync(path)) return;
  // A snapshot is created read-only; it has to be made writable before it can be removed on older kernels.
  await run('btrfs', ['property', 'set', '-ts', path, 'ro', 'false']).catch(() => undefined);
  await run('btrfs', ['subvolume', 'delete', path]);
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
  async setLimit(): Promise<void> { /* a dir pool cannot enforce a size; the ledger accounts it */ }
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
