import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, realpathSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CommandError, run } from '../../lib/exec/run';
import { failedPrecondition, internal } from '../sdk/errors';
import { attachLoop, detachLoop } from '../sdk/loop-devices';
import { isMountPoint } from '../../lib/mounts/mounts';
import { Logger } from '../../lib/logging/logger';
import { Attachment, TargetRef } from './state';

export interface Attached {
  attachment: Attachment;
  device: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Loop devices backed by `file` (`losetup -j`). */
export async function loopsOf(file: string): Promise<string[]> {
  const out = await run('losetup', ['-j', file]).catch(() => '');
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(':')[0]);
}

/**
 * Attaches a LUN with no kernel initiator: nbdfuse mounts a one-file FUSE filesystem at `fuseDir` and starts
 * qemu-nbd (socket activation), whose iSCSI driver logs in as `initiatorIqn`; `${fuseDir}/nbd` is the LUN
 * as a file, and a loop device over it is the block device. nbdfuse runs in its own session so it outlives
 * a plugin restart; `fusermount3 -u` ends it (and qemu-nbd with it).
 */
export async function attachUserspace(target: TargetRef, initiatorIqn: string, fuseDir: string, readOnly: boolean, log: Logger): Promise<Attached> {
  mkdirSync(fuseDir, { recursive: true, mode: 0o700 });
  if (isMountPoint(fuseDir)) await run('fusermount3', ['-u', fuseDir]).catch(() => undefined);
  const [host, port] = [target.portal.slice(0, target.portal.lastIndexOf(':')), target.portal.slice(target.portal.lastIndexOf(':') + 1)];
  // Every value was validated against an alphabet without ',' or '=' — qemu's option separators.
  const imageOpts = [
    'driver=raw',
    'file.driver=iscsi',
    'file.transport=tcp',
    `file.portal=${host}:${port}`,
    `file.target=${target.iqn}`,
    `file.lun=${target.lun}`,
    `file.initiator-name=${initiatorIqn}`,
  ].join(',');
  const logFile = `${fuseDir}.log`;
  const logFd = openSync(logFile, 'w', 0o600);
  const child = spawn(
    'nbdfuse',
    [...(readOnly ? ['-r'] : []), fuseDir, '--socket-activation', 'qemu-nbd', ...(readOnly ? ['--read-only'] : []), '--image-opts', imageOpts],
    { detached: true, stdio: ['ignore', logFd, logFd] },
  );
  closeSync(logFd);
  child.unref();
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const file = join(fuseDir, 'nbd');
  const deadline = Date.now() + 20_000;
  while (!existsSync(file)) {
    if (exited || Date.now() > deadline) {
      if (!exited) child.kill('SIGTERM');
      const why = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ') : '';
      await run('fusermount3', ['-u', fuseDir]).catch(() => undefined);
      rmDirQuiet(fuseDir);
      if (/Failed to login|Target not found|authoriz|login/i.test(why)) {
        throw failedPrecondition(`target ${target.iqn} refused login from ${initiatorIqn}: is the volume published to this node? (${why})`);
      }
      throw internal(`user-space attach of ${target.iqn} failed: ${why || 'timed out'}`);
    }
    await sleep(50);
  }
  try {
    const device = await attachLoop(file, readOnly);
    log.info({ target: target.iqn, device, fuseDir, pid: child.pid }, 'LUN attached through nbdfuse + qemu-nbd');
    return { attachment: { kind: 'userspace', fuseDir, pid: child.pid }, device };
  } catch (error) {
    await detachUserspace({ fuseDir, pid: child.pid }, undefined);
    throw error;
  }
}

function rmDirQuiet(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    /* not empty or gone */
  }
}

/** umount is the caller's; this detaches every loop over the FUSE file, unmounts FUSE and waits for nbdfuse. */
export async function detachUserspace(a: { fuseDir: string; pid?: number }, device: string | undefined): Promise<void> {
  const file = join(a.fuseDir, 'nbd');
  await detachLoop(device);
  if (isMountPoint(a.fuseDir)) for (const loop of await loopsOf(file)) await detachLoop(loop);
  if (isMountPoint(a.fuseDir)) await run('fusermount3', ['-u', a.fuseDir]);
  for (let i = 0; i < 200 && alive(a.pid); i++) await sleep(50);
  rmDirQuiet(a.fuseDir);
  rmSync(`${a.fuseDir}.log`, { force: true });
}

/** True while the user-space attachment is still serving (FUSE mounted). */
export function userspaceHealthy(a: { fuseDir: string }): boolean {
  return isMountPoint(a.fuseDir) && existsSync(join(a.fuseDir, 'nbd'));
}

/** The kernel initiator: available when the iscsi_tcp module is loaded and iscsiadm runs. */
export async function kernelInitiatorAvailable(): Promise<boolean> {
  if (!existsSync('/sys/module/iscsi_tcp')) return false;
  try {
    await run('iscsiadm', ['--version']);
    return true;
  } catch {
    return false;
  }
}

/**
 * Attaches with open-iscsi (production path on a normal Linux node; not exercised on the CI machine, whose
 * kernel has no iSCSI initiator). The node's initiator name is the one in /etc/iscsi/initiatorname.iscsi.
 */
export async function attachKernel(target: TargetRef): Promise<Attached> {
  const node = ['-m', 'node', '-T', target.iqn, '-p', target.portal];
  await run('iscsiadm', [...node, '-o', 'new']);
  try {
    await run('iscsiadm', [...node, '--login']);
  } catch (error) {
    if (!(error instanceof CommandError && /already present|session exists/i.test(error.stderr))) {
      throw failedPrecondition(`login to ${target.iqn} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const byPath = `/dev/disk/by-path/ip-${target.portal}-iscsi-${target.iqn}-lun-${target.lun}`;
  for (let i = 0; i < 200 && !existsSync(byPath); i++) await sleep(50);
  if (!existsSync(byPath)) throw internal(`logged in to ${target.iqn} but ${byPath} did not appear`);
  return { attachment: { kind: 'kernel', session: `${target.portal},${target.iqn}` }, device: realpathSync(byPath) };
}

export async function detachKernel(target: TargetRef): Promise<void> {
  const node = ['-m', 'node', '-T', target.iqn, '-p', target.portal];
  await run('iscsiadm', [...node, '--logout']).catch(() => undefined);
  await run('iscsiadm', [...node, '-o', 'delete']).catch(() => undefined);
}

/** Makes a kernel-attached device see a LUN that grew (the user-space path only sees it on the next attach). */
export async function rescanKernel(target: TargetRef): Promise<void> {
  await run('iscsiadm', ['-m', 'node', '-T', target.iqn, '-p', target.portal, '-R']);
}
