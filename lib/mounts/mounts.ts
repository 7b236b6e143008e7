import { readFileSync } from 'node:fs';
import { run } from '../exec/run';

export interface MountEntry {
  mountPoint: string;
  root: string;
  fsType: string;
  source: string;
  options: string[];
}

/** Decodes the octal escapes (\040 for space, …) the kernel uses in /proc/self/mountinfo. */
function unescapeField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** The mount table as the kernel sees it now. Read fresh on every call: mounts change under us. */
export function listMounts(): MountEntry[] {
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [left, right] = line.split(' - ');
    const l = left.split(' ');
    const r = (right ?? '').split(' ');
    entries.push({ root: unescapeField(l[3]), mountPoint: unescapeField(l[4]), options: l[5].split(','), fsType: r[0], source: unescapeField(r[1] ?? '') });
  }
  return entries;
}

/** The topmost mount at exactly this path, if any. */
export function mountAt(path: string): MountEntry | undefined {
  const found = listMounts().filter((m) => m.mountPoint === path);
  return found[found.length - 1];
}

export function isMountPoint(path: string): boolean {
  return mountAt(path) !== undefined;
}

export async function bindMount(source: string, target: string, readOnly: boolean): Promise<void> {
  await run('mount', ['--bind', source, target]);
  // A bind mount ignores "ro" on the first call; read-only needs a remount of the bind itself.
  if (readOnly) await run('mount', ['-o', 'remount,bind,ro', target]);
}

/** Unmounts every mount stacked at `path` (a repeated publish may have stacked more than one). */
export async function unmountAll(path: string): Promise<void> {
  while (isMountPoint(path)) await run('umount', [path]);
}
