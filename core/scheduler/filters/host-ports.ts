/**
 * Host ports: a port the task fixes must be free on the node, and its node's dynamic range must have a
 * free port for each port the ledger is to pick. The ledger picks them when it reserves; this only
 * tells which nodes can, and why the others cannot.
 */
import { formatPortRange } from '../../domain';
import { RejectionReason } from '../reasons';
import type { Filter } from '../types';
import { unschedulable } from './reject';

export const hostPortFilter: Filter = {
  name: 'host-ports',
  check(task, node, pass) {
    if (task.fixedPorts.length === 0 && task.dynamicPortNames.length === 0) return null;
    const credit = task.creditOn(node.id)?.hostPorts;
    for (const { name, port } of task.fixedPorts) {
      if (pass.hostPortHolders(node.id, port, credit) > 0) {
        return unschedulable(node.id, RejectionReason.HostPort, `host port ${port} (${name}) in use on node ${node.id}`);
      }
    }
    const needed = task.dynamicPortNames.length;
    if (needed === 0) return null;
    const range = pass.ledgerState(node.id)!.capacity.hostPortRange;
    if (!range) return unschedulable(node.id, RejectionReason.HostPortsExhausted, `node ${node.id} has no dynamic host port range, task needs ${needed}`);
    const fixedInRange = task.fixedPorts.filter((p) => p.port >= range.first && p.port <= range.last).length;
    const free = pass.freeRangePorts(node.id, range, credit) - fixedInRange;
    if (needed > free) {
      return unschedulable(
        node.id,
        RejectionReason.HostPortsExhausted,
        `host ports ${formatPortRange(range)} on node ${node.id}: ${Math.max(free, 0)} free, task needs ${needed}`,
      );
    }
    return null;
  },
};
