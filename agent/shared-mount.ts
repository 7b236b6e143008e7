/**
 * The agent's state directory as a shared mount (kubelet does the same with its pods directory).
 *
 * A process task's mount namespace starts with a copy of every mount of the node, as a slave of it
 * (task-namespace.ts). A slave only follows mounts that are shared: where the node's mounts are
 * private, an unmount on the node — unpublishing another task's volume — would leave that task's
 * copy mounted in every namespace started before, holding the filesystem (a loop device, an iSCSI
 * disk) until those tasks exit. Bound onto itself and made rshared, the state directory and every
 * publish and staging mount below it propagate their unmounts into the tasks' namespaces.
 */
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { isMountPoint } from '../lib/mounts/mounts';

function run(args: readonly string[]): void {
  execFileSync('mount', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
}

/** Makes `dir` a shared mount (bound onto itself first unless it is a mount point already); throws with mount(8)'s reason. */
export function shareMountTree(dir: string): void {
  const path = realpathSync(dir);
  try {
    // An agent restart finds its earlier bind in place: never a second one on top.
    if (!isMountPoint(path)) run(['--bind', path, path]);
    run(['--make-rshared', path]);
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`could not make ${path} a shared mount: ${stderr || (error as Error).message}`);
  }
}
