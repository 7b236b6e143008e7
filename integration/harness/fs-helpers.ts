import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `berth-${prefix}-`));
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Writes `mib` MiB of random data with dd; returns whether dd succeeded and what it said. */
export function ddWrite(target: string, mib: number, extra: string[] = []): { ok: boolean; stderr: string } {
  const r = spawnSync('dd', ['if=/dev/urandom', `of=${target}`, 'bs=1M', `count=${mib}`, 'conv=fsync', ...extra], { encoding: 'utf8' });
  return { ok: r.status === 0, stderr: r.stderr };
}

/** Reads the first `mib` MiB of a file or device, bypassing the page cache, and hashes them. */
export function sha256Head(path: string, mib: number): string {
  const data = execFileSync('dd', [`if=${path}`, 'bs=1M', `count=${mib}`, 'iflag=direct', 'status=none'], { maxBuffer: 1024 * 1024 * (mib + 1) });
  return createHash('sha256').update(data).digest('hex');
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Pids of live (not zombie) processes whose environment holds `marker`: a task's processes, found from the node whatever its PID namespace. */
export function processesWithMarker(marker: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return !/\)\s+Z\s/.test(readFileSync(`/proc/${p}/stat`, 'utf8')) && readFileSync(`/proc/${p}/environ`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}
