/**
 * Binpack or spread, from the node's utilization *after* the task lands: the mean over CPU,
 * memory and every pool the task's claims would use. Binpack prefers full nodes (keeps whole
 * nodes free for big tasks); spread prefers empty ones (smaller blast radius per node).
 */
import type { FitStrategy } from '../options';
import type { Scorer } from '../types';

export function resourceFitScorer(strategy: FitStrategy, weight: number): Scorer {
  return {
    name: `resource-fit(${strategy})`,
    weight,
    appliesTo: () => true,
    score(task, node, pass) {
      const capacity = pass.ledgerState(node.id)!.capacity;
      let sum = 0;
      let dims = 0;
      if (capacity.cpuMillis > 0) {
        sum += ratio(capacity.cpuMillis - pass.freeCpu(node.id) + task.task.cpuMillis, capacity.cpuMillis);
        dims++;
      }
      if (capacity.memoryBytes > 0) {
        sum += ratio(capacity.memoryBytes - pass.freeMemory(node.id) + task.task.memoryBytes, capacity.memoryBytes);
        dims++;
      }
      // The storage-fit filter just planned this node's pools, with their free space before each claim.
      const keys = task.planKeys;
      for (let i = 0; i < task.unboundClaims.length; i++) {
        const total = pass.poolTotal(node.id, keys[i]!);
        if (total > 0) {
          sum += ratio(total - task.planFree[i]! + task.unboundClaims[i]!.sizeBytes, total);
          dims++;
        }
      }
      const utilization = dims === 0 ? 0 : sum / dims;
      return strategy === 'binpack' ? utilization : 1 - utilization;
    },
  };
}

function ratio(used: number, total: number): number {
  return Math.min(1, Math.max(0, used / total));
}
