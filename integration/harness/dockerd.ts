import type { Availability } from '../../agent/runtime/private-dockerd';
/** The private dockerd the tests and the bench start; the implementation is shared with `berth up`. */
export { BUSYBOX_IMAGE, dockerAvailable, importBusybox, startDockerd } from '../../agent/runtime/private-dockerd';
export type { Availability, DockerdHandle, StartDockerdOptions } from '../../agent/runtime/private-dockerd';

/** Skips the suite or test when docker cannot run here, saying why: a skip is never silent. */
export function skipWithoutDocker(ctx: Mocha.Context, availability: Availability): void {
  if (availability.ok) return;
  console.log(`      skipped: ${availability.reason}`);
  ctx.skip();
}
