import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, rmSync, statfsSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../lib/exec/run';
import { Logger } from '../../lib/logging/logger';

/**
 * A directory of sparse backing files: `volumes/<id>.img` is a LUN, `snapshots/<id>.img` a frozen copy.
 * On xfs or btrfs snapshots and clones are reflink copies (instant, sharing every extent until written);
 * elsewhere they fall back to a full (sparse-aware) copy, which takes time and space — logged at start.
 */
export class BackingPool {
  reflink = false;
  fsType = '';

  constructor(
    readonly name: string,
    readonly root: string,
  ) {}

  volumeFile(id: string): string {
    return join(this.root, 'volumes', `${id}.img`);
  }
  snapshotFile(id: string): string {
    return join(this.root, 'snapshots', `${id}.img`);
  }

  async open(log: Logger): Promise<void> {
    mkdirSync(join(this.root, 'volumes'), { recursive: true, mode: 0o700 });
    mkdirSync(join(this.root, 'snapshots'), { recursive: true, mode: 0o700 });
    this.fsType = (await run('stat', ['-f', '-c', '%T', this.root])).trim();
    const a = join(this.root, `.reflink-probe-${process.pid}`);
    const b = `${a}.copy`;
    writeFileSync(a, 'probe', { mode: 0o600 });
    try {
      await run('cp', ['--reflink=always', '--', a, b]);
      this.reflink = true;
    } catch {
      this.reflink = false;
    } finally {
      rmSync(a, { force: true });
      rmSync(b, { force: true });
    }
    if (this.reflink) log.info({ pool: this.name, fsType: this.fsType }, 'pool supports reflink: snapshots and clones are instant copies');
    else log.warn({ pool: this.name, fsType: this.fsType }, 'pool has no reflink support: snapshots and clones are FULL copies (use xfs or btrfs)');
  }

  totalBytes(): number {
    const s = statfsSync(this.root);
    return s.blocks * s.bsize;
  }

  /** A new sparse file of exactly `bytes`; refuses to replace an existing one. */
  createSparse(path: string, bytes: number): void {
    const fd = openSync(path, 'wx', 0o600);
    try {
      ftruncateSync(fd, bytes);
    } finally {
      closeSync(fd);
    }
  }

  /** Copies `src` to a new `dst` (reflink where possible), then grows it to `bytes` if that is larger. */
  async copy(src: string, dst: string, bytes?: number): Promise<void> {
    if (existsSync(dst)) unlinkSync(dst);
    await run('cp', [this.reflink ? '--reflink=always' : '--sparse=always', '--', src, dst], { timeoutMs: 30 * 60_000 });
    if (bytes !== undefined && statSync(dst).size < bytes) truncateSync(dst, bytes);
  }

  grow(path: string, bytes: number): void {
    if (statSync(path).size < bytes) truncateSync(path, bytes);
  }

  remove(path: string): void {
    rmSync(path, { force: true });
  }

  exists(path: string): boolean {
    return existsSync(path);
  }

  probe(): void {
    const p = join(this.root, `.probe-${process.pid}`);
    writeFileSync(p, 'ok', { mode: 0o600 });
    unlinkSync(p);
  }
}
