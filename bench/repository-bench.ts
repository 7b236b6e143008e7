import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codecName, preferredCodec, Repository } from '../backup/repository';

/**
 * Berth's backup repository next to restic on the same 1 GiB image of incompressible data:
 *   - full backup throughput            (target ≥ 2× restic)
 *   - incremental after 1% changed as scattered 4 KiB writes
 *                                        (target ≥ 10× faster than restic, ≤ 2% of the image added;
 *                                         Berth gets the changed ranges, as the btrfs data mover will)
 *   - restore throughput                 (target ≥ restic)
 * Both sides write to the same disk, with their files in the page cache the same way.
 * Runnable on its own: `node dist/bench/repository-bench.js [size MiB]`.
 */

const MiB = 1024 * 1024;
const PASSPHRASE = 'bench-passphrase';

function ensureRestic(): string | undefined {
  if (spawnSync('sh', ['-c', 'command -v restic']).status === 0) return undefined;
  const install = spawnSync(
    'sh',
    ['-c', 'apt-get install -y --no-install-recommends restic || (apt-get update && apt-get install -y --no-install-recommends restic)'],
    { encoding: 'utf8' },
  );
  if (spawnSync('sh', ['-c', 'command -v restic']).status === 0) return undefined;
  return `restic is not installed and apt-get could not install it: ${install.stderr.trim().split('\n').slice(-1)[0] ?? ''}`;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

function restic(env: NodeJS.ProcessEnv, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('restic', args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`restic ${args[0]} failed (${code}): ${stderr.trim()}`))));
  });
}

async function dirSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) total += await dirSize(full);
    else if (entry.isFile()) total += (await fs.stat(full)).size;
  }
  return total;
}

/** Overwrites 1% of the image as distinct random 4 KiB blocks; returns the changed ranges. */
async function scatter(image: string, size: number): Promise<{ offset: number; length: number }[]> {
  const blocks = size / 4096;
  const count = Math.round(blocks * 0.01);
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(Math.floor(Math.random() * blocks));
  const handle = await fs.open(image, 'r+');
  try {
    const ranges = [...chosen].sort((a, b) => a - b).map((block) => ({ offset: block * 4096, length: 4096 }));
    for (const range of ranges) await handle.write(randomBytes(4096), 0, 4096, range.offset);
    await handle.sync();
    return ranges;
  } finally {
    await handle.close();
  }
}

async function berthBackup(repo: Repository, image: string, size: number, parentBackupId?: string, changedRanges?: { offset: number; length: number }[]) {
  const handle = await fs.open(image, 'r');
  try {
    const session = await repo.beginBackup();
    await session.writeBlockVolume('disk', {
      size,
      parentBackupId,
      changedRanges,
      readRange: async (offset, length) => {
        const buffer = Buffer.allocUnsafe(length);
        const { bytesRead } = await handle.read(buffer, 0, length, offset);
        if (bytesRead !== length) throw new Error('short read');
        return buffer;
      },
    });
    return await session.commit({ app: { bench: true }, parent: parentBackupId });
  } finally {
    await handle.close();
  }
}

const rate = (bytes: number, ms: number): string => `${(bytes / MiB / (ms / 1000)).toFixed(0)} MiB/s`;
const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

export async function runRepositoryBench(sizeMiB = 1024): Promise<{ lines: string[] }> {
  const lines: string[] = [];
  const missing = ensureRestic();
  if (missing) return { lines: [`skipped: ${missing}`] };
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-repo-'));
  const size = sizeMiB * MiB;
  try {
    const image = join(dir, 'disk.img');
    execFileSync('sh', ['-c', `head -c ${size} /dev/urandom > ${image}`]);
    const env = { ...process.env, RESTIC_PASSWORD: PASSPHRASE, RESTIC_CACHE_DIR: join(dir, 'restic-cache'), RESTIC_REPOSITORY: join(dir, 'restic-repo') };
    await restic(env, ['init']);
    const repo = await Repository.init(join(dir, 'berth-repo'), PASSPHRASE);
    lines.push(
      `image: ${sizeMiB} MiB of random data; Berth compression codec: ${codecName(preferredCodec())}; restic ${execFileSync('restic', ['version']).toString().trim().split(' ')[1]}`,
    );

    // Full backup. The image is in the page cache for both (it was just written).
    const resticFull = await timed(() => restic(env, ['backup', '--quiet', image]));
    const berthFull = await timed(() => berthBackup(repo, image, size));
    lines.push(
      `full backup:  berth ${secs(berthFull.ms)} (${rate(size, berthFull.ms)})  restic ${secs(resticFull.ms)} (${rate(size, resticFull.ms)})  ratio ${(resticFull.ms / berthFull.ms).toFixed(2)}× (target ≥ 2×)`,
    );

    // Incremental after 1% changed in scattered 4 KiB writes.
    const ranges = await scatter(image, size);
    const resticBefore = await dirSize(join(dir, 'restic-repo'));
    const berthBefore = await repo.storageBytes();
    const resticIncr = await timed(() => restic(env, ['backup', '--quiet', image]));
    const berthIncr = await timed(() => berthBackup(repo, image, size, berthFull.value.id, ranges));
    const resticAdded = (await dirSize(join(dir, 'restic-repo'))) - resticBefore;
    const berthAdded = (await repo.storageBytes()) - berthBefore;
    const pct = (bytes: number): string => `${((100 * bytes) / size).toFixed(2)}%`;
    lines.push(
      `incremental (1% in ${ranges.length} scattered 4 KiB writes):  berth ${secs(berthIncr.ms)}, added ${pct(berthAdded)}  ` +
        `restic ${secs(resticIncr.ms)}, added ${pct(resticAdded)}  speed ratio ${(resticIncr.ms / berthIncr.ms).toFixed(1)}× (target ≥ 10×, ≤ 2% added)`,
    );

    // Restore of the latest backup (both fsync their output at the end).
    const berthOut = join(dir, 'berth-restore.img');
    const resticOut = join(dir, 'restic-restore');
    const resticRestore = await timed(async () => {
      await restic(env, ['restore', 'latest', '--target', resticOut]);
      execFileSync('sync');
    });
    const berthRestore = await timed(() => repo.restoreVolume(berthIncr.value.id, 'disk', berthOut));
    lines.push(
      `restore:      berth ${secs(berthRestore.ms)} (${rate(size, berthRestore.ms)})  restic ${secs(resticRestore.ms)} (${rate(size, resticRestore.ms)})  ratio ${(resticRestore.ms / berthRestore.ms).toFixed(2)}× (target ≥ 1×)`,
    );

    const same = execFileSync('cmp', ['--silent', berthOut, image], { stdio: 'pipe' }).length === 0;
    lines.push(`berth restore matches the image: ${same ? 'yes' : 'NO'}`);
    return { lines };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const sizeMiB = Number(process.argv[2] ?? 1024);
  runRepositoryBench(sizeMiB).then(
    (result) => {
      for (const line of result.lines) process.stdout.write(`${line}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
