import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { listMounts } from '../../lib/mounts/mounts';

/** A tgtd of the test's own, on 127.0.0.1:3260, started in its own session and stopped by PID. */
export interface TgtdProcess {
  child: ChildProcess;
  pid: number;
  exited: Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function tgtadm(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('tgtadm', ['--lld', 'iscsi', ...args], { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

export function targetTids(): number[] {
  const { ok, out } = tgtadm(['--mode', 'target', '--op', 'show']);
  if (!ok) return [];
  return [...out.matchAll(/^Target (\d+): /gm)].map((m) => Number(m[1]));
}

export function targetNames(): string[] {
  const { out } = tgtadm(['--mode', 'target', '--op', 'show']);
  return [...out.matchAll(/^Target \d+: (\S+)/gm)].map((m) => m[1]);
}

export async function startTgtd(portal = '127.0.0.1:3260'): Promise<TgtdProcess> {
  const child = spawn('tgtd', ['-f', '--iscsi', `portal=${portal}`], { detached: true, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; i < 100; i++) {
    if (tgtadm(['--mode', 'target', '--op', 'show']).ok) return { child, pid: child.pid as number, exited };
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error('tgtd did not start');
}

/** tgtd ignores SIGTERM while targets exist: delete them all, then the system; SIGKILL by PID as a last resort. */
export async function stopTgtd(t: TgtdProcess | undefined): Promise<void> {
  if (!t) return;
  for (const tid of targetTids()) tgtadm(['--mode', 'target', '--op', 'delete', '--force', '--tid', String(tid)]);
  tgtadm(['--mode', 'system', '--op', 'delete']);
  const done = await Promise.race([t.exited.then(() => true), sleep(5000).then(() => false)]);
  if (!done) {
    try {
      process.kill(t.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    await t.exited;
  }
}

/**
 * Undoes every attachment below `dir` in dependency order: bind/staging mounts first, then loop devices
 * over FUSE files, then the FUSE mounts themselves (which ends nbdfuse and qemu-nbd). The generic harness
 * cleanup unmounts deepest-first, which would try FUSE before the loop devices that hold it.
 */
export function detachAllUnder(dir: string): void {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const mounts = () => listMounts().filter((m) => m.mountPoint.startsWith(prefix));
  for (const m of mounts()
    .filter((x) => !x.fsType.startsWith('fuse'))
    .reverse()) {
    // The pool filesystem itself stays: tgtd holds backing files in it until it stops.
    if (m.mountPoint.includes('/pool-')) continue;
    try {
      execFileSync('umount', [m.mountPoint], { stdio: 'ignore' });
    } catch {
      try {
        execFileSync('umount', ['-l', m.mountPoint], { stdio: 'ignore' });
      } catch {
        /* gone */
      }
    }
  }
  let loops = '';
  try {
    loops = execFileSync('losetup', ['-a'], { encoding: 'utf8' });
  } catch {
    /* none */
  }
  for (const line of loops.split('\n')) {
    const m = /^(\/dev\/loop\d+):.*\((.*)\)/.exec(line);
    if (m && m[2].startsWith(prefix) && m[2].endsWith('/nbd')) {
      try {
        execFileSync('losetup', ['-d', m[1]], { stdio: 'ignore' });
      } catch {
        /* detached */
      }
    }
  }
  for (const m of mounts().filter((x) => x.fsType.startsWith('fuse'))) {
    try {
      execFileSync('fusermount3', ['-u', m.mountPoint], { stdio: 'ignore' });
    } catch {
      try {
        execFileSync('umount', ['-l', m.mountPoint], { stdio: 'ignore' });
      } catch {
        /* gone */
      }
    }
  }
}
