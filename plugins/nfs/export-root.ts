import { existsSync, mkdirSync, rmdirSync, rmSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as btrfs from '../sdk/btrfs';
import { run } from '../../lib/exec/run';
import { bindMount, isMountPoint } from '../../lib/mounts/mounts';
import { isSafeConfigPath } from './ganesha-config';

/**
 * The directory tree the controller provisions in, on the NFS server host:
 *   <root>/volumes/<id>    the volume's data: a btrfs subvolume with a qgroup limit, or a plain directory
 *   <root>/snapshots/<id>  a read-only btrfs snapshot, or a reflink (else plain) copy
 *   <root>/exports/<id>    a bind mount of volumes/<id>: what ganesha exports.
 * The bind mount is needed on btrfs: ganesha's VFS FSAL refuses to export a subvolume that is not
 * itself a mount ("resolve_posix_filesystem ... No such file or directory"); a bind mount of the
 * subvolume is one. Plain directories get the same layout so both kinds behave alike.
 */
export class ExportRoot {
  private constructor(
    readonly root: string,
    readonly kind: 'btrfs' | 'dir',
  ) {}

  static async open(root: string): Promise<ExportRoot> {
    const clean = root.replace(/\/+$/, '') || '/';
    if (!isSafeConfigPath(clean)) {
      throw new Error(`export root ${JSON.stringify(root)} must be an absolute path of letters, digits and . _ + - / (it is written into the ganesha config)`);
    }
    if (!existsSync(clean)) throw new Error(`export root ${clean} does not exist`);
    const kind = (await btrfs.fsTypeOf(clean)) === 'btrfs' ? 'btrfs' : 'dir';
    const r = new ExportRoot(clean, kind);
    for (const sub of ['volumes', 'snapshots', 'exports']) mkdirSync(join(clean, sub), { recursive: true, mode: 0o755 });
    if (kind === 'btrfs') await btrfs.enableQuota(clean);
    return r;
  }

  get enforcesCapacity(): boolean {
    return this.kind === 'btrfs';
  }
  volumePath(id: string): string {
    return join(this.root, 'volumes', id);
  }
  snapshotPath(id: string): string {
    return join(this.root, 'snapshots', id);
  }
  exportPath(id: string): string {
    return join(this.root, 'exports', id);
  }

  totalBytes(): number {
    const s = statfsSync(this.root);
    return s.blocks * s.bsize;
  }

  freeBytes(): number {
    const s = statfsSync(this.root);
    return s.bavail * s.bsize;
  }

  async createVolume(id: string): Promise<void> {
    if (this.kind === 'btrfs') await btrfs.createSubvolume(this.volumePath(id));
    else mkdirSync(this.volumePath(id), { mode: 0o777 });
  }

  async createVolumeFrom(id: string, sourcePath: string): Promise<void> {
    if (this.kind === 'btrfs') await btrfs.snapshotSubvolume(sourcePath, this.volumePath(id), false);
    else await run('cp', ['-a', '--reflink=auto', sourcePath, this.volumePath(id)]);
  }

  async setLimit(id: string, bytes: number): Promise<void> {
    if (this.kind === 'btrfs') await btrfs.setQgroupLimit(this.volumePath(id), bytes);
  }

  async createSnapshot(volumeId: string, snapshotId: string): Promise<void> {
    if (this.kind === 'btrfs') await btrfs.snapshotSubvolume(this.volumePath(volumeId), this.snapshotPath(snapshotId), true);
    else await run('cp', ['-a', '--reflink=auto', this.volumePath(volumeId), this.snapshotPath(snapshotId)]);
  }

  async deleteVolume(id: string): Promise<void> {
    await this.unmountExport(id);
    if (this.kind === 'btrfs') await btrfs.deleteSubvolume(this.volumePath(id));
    else rmSync(this.volumePath(id), { recursive: true, force: true });
  }

  async deleteSnapshot(id: string): Promise<void> {
    if (this.kind === 'btrfs') await btrfs.deleteSubvolume(this.snapshotPath(id));
    else rmSync(this.snapshotPath(id), { recursive: true, force: true });
  }

  /** Bind-mounts the volume at its export path unless already there (idempotent; redone after a reboot). */
  async mountExport(id: string): Promise<void> {
    const target = this.exportPath(id);
    mkdirSync(target, { recursive: true, mode: 0o755 });
    if (!isMountPoint(target)) await bindMount(this.volumePath(id), target, false);
  }

  /**
   * Removes the export's bind mount. Call after ganesha dropped the export: ganesha may keep file
   * descriptors on the filesystem for a while, so a busy mount is detached lazily (it goes away when
   * ganesha lets go; the data is deleted right after either way).
   */
  async unmountExport(id: string): Promise<void> {
    const target = this.exportPath(id);
    while (isMountPoint(target)) {
      try {
        await run('umount', [target]);
      } catch {
        await run('umount', ['-l', target]);
      }
    }
    if (existsSync(target)) rmdirSync(target);
  }

  async usedBytes(id: string): Promise<number> {
    if (this.kind === 'btrfs') return btrfs.referencedBytes(this.volumePath(id));
    const out = await run('du', ['-sb', this.volumePath(id)]);
    return Number(out.split(/\s+/)[0]);
  }

  async probe(): Promise<void> {
    const probe = join(this.root, `.probe-${process.pid}`);
    writeFileSync(probe, 'ok', { mode: 0o600 });
    unlinkSync(probe);
  }
}
