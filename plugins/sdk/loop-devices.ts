import { CommandError, run } from '../../lib/exec/run';

/** Attaches `file` to a free loop device and returns the device's path. */
export async function attachLoop(file: string, readOnly: boolean): Promise<string> {
  return (await run('losetup', [...(readOnly ? ['-r'] : []), '-f', '--show', '--', file])).trim();
}

/**
 * Detaches a loop device; one already gone (a retry, a reboot) is not an error. Any other failure is
 * thrown: the caller keeps its record and tries again rather than forget a device still attached.
 */
export async function detachLoop(device: string | undefined): Promise<void> {
  if (!device) return;
  await run('losetup', ['-d', device]).catch((e: unknown) => {
    if (!(e instanceof CommandError && /No such device|not a block device|failed to use device/i.test(e.stderr))) throw e;
  });
}
