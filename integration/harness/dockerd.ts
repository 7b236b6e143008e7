/** The private dockerd the tests and the bench start; the implementation is shared with `berth up`. */
export { BUSYBOX_IMAGE, dockerAvailable, importBusybox, startDockerd } from '../../agent/runtime/private-dockerd';
export type { Availability, DockerdHandle, StartDockerdOptions } from '../../agent/runtime/private-dockerd';
