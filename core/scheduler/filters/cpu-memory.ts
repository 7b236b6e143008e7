/** CPU and memory against the node's capacity minus reservations and this pass's proposals. */
import { formatBytes, formatCpu } from '../../domain';
import { RejectionReason } from '../reasons';
import type { Filter } from '../types';
import { unschedulable } from './reject';

export const cpuMemoryFilter: Filter = {
  name: 'cpu-memory',
  check(task, node, pass) {
    const credit = task.creditOn(node.id);
    const { cpuMillis, memoryBytes } = task.task;
    const freeCpu = pass.freeCpu(node.id) + (credit?.cpuMillis ?? 0);
    if (cpuMillis > freeCpu) {
      const total = pass.ledgerState(node.id)!.capacity.cpuMillis;
      return unschedulable(
        node.id,
        RejectionReason.InsufficientCpu,
        `needs ${formatCpu(cpuMillis)} cpu, ${formatCpu(Math.max(freeCpu, 0))} of ${formatCpu(total)} free`,
      );
    }
    const freeMemory = pass.freeMemory(node.id) + (credit?.memoryBytes ?? 0);
    if (memoryBytes > freeMemory) {
      const total = pass.ledgerState(node.id)!.capacity.memoryBytes;
      return unschedulable(
        node.id,
        RejectionReason.InsufficientMemory,
        `needs ${formatBytes(memoryBytes)} memory, ${formatBytes(Math.max(freeMemory, 0))} of ${formatBytes(total)} free`,
      );
    }
    return null;
  },
};
