/**
 * A docker task's address on its node's task network, as its agent reports it: recorded on the task
 * so that the endpoints of an app can list it beside the node's host ports.
 */
import type { TaskReport__Output } from '../../proto/berth/generated/berth/agent/v1/TaskReport';
import type { TaskRecord } from '../store/records';

/**
 * Sets `next.containerAddress` from the report (`next` is the task's next record, its state already
 * decided): a running report says where the task is now (no address: it has none, e.g. a process);
 * a task that no longer runs has none. A `preparing` report of a running task knows nothing new.
 */
export function applyContainerAddress(next: TaskRecord, r: TaskReport__Output): void {
  if (next.state === 'running' && r.state === 'running') {
    if (r.containerAddress) next.containerAddress = r.containerAddress;
    else delete next.containerAddress;
  } else if (next.state !== 'running') {
    delete next.containerAddress;
  }
}
