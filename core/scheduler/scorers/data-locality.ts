/**
 * Prefer nodes that already hold the task's data or its reservation: the node of its current
 * reservation (reuse: no new capacity, warm caches) and the node or zone of each bound volume
 * (network volumes are reachable from anywhere but faster from their zone). The score is the
 * fraction of those "data items" that are local to the node.
 */
import type { Scorer } from '../types';

export function dataLocalityScorer(weight: number): Scorer {
  return {
    name: 'data-locality',
    weight,
    appliesTo: (task) => task.held !== undefined || task.task.claims.some((c) => c.bound !== undefined),
    score(task, node) {
      let items = 0;
      let local = 0;
      if (task.held) {
        items++;
        if (task.held.nodeId === node.id) local++;
      }
      for (const claim of task.task.claims) {
        const bound = claim.bound;
        if (!bound) continue;
        if (bound.nodeId !== undefined) {
          items++;
          if (bound.nodeId === node.id) local++;
        } else if (bound.zone !== undefined) {
          items++;
          if (bound.zone === node.info.zone) local++;
        }
      }
      return items === 0 ? 0 : local / items;
    },
  };
}
