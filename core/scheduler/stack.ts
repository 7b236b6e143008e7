/**
 * The placement pipeline, assembled in one place so its order can be read and argued about
 * (modelled on Nomad's NewGenericStack). Filters run cheapest and most selective first and stop at
 * the first rejection, so each rejected node carries exactly one named reason — the most
 * fundamental one. Scorers rank the nodes that pass.
 */
import { attachLimitFilter } from './filters/attach-limit';
import { constraintFilter } from './filters/constraints';
import { cpuMemoryFilter } from './filters/cpu-memory';
import { hostPortFilter } from './filters/host-ports';
import { nodeReadyFilter } from './filters/node-ready';
import { pluginHealthFilter } from './filters/plugin-health';
import { storageFitFilter } from './filters/storage-fit';
import { volumeLocalityFilter } from './filters/volume-locality';
import type { CompiledSchedulerOptions } from './options';
import { dataLocalityScorer } from './scorers/data-locality';
import { resourceFitScorer } from './scorers/resource-fit';
import type { Filter, Scorer } from './types';

export interface Pipeline {
  readonly filters: readonly Filter[];
  readonly scorers: readonly Scorer[];
  /** Feasible nodes to score per decision, given the cluster size. */
  readonly candidateLimit: (nodeCount: number) => number;
}

export function buildPipeline(options: CompiledSchedulerOptions): Pipeline {
  const filters: Filter[] = [
    // 1. Node ready (and known to the ledger). First because it is one boolean, and because a
    //    down node's true reason is that it is down — not that, say, its pool looks full.
    nodeReadyFilter,
    // 2. Volume locality. Right after readiness: O(claims), and for a task whose local volume is
    //    bound it rejects every node but one, so the heavier checks below run once, not N times.
    //    A pinned task whose node is down thus shows "node-not-ready" there and
    //    "volume-locality" everywhere else.
    volumeLocalityFilter,
    // 3. Label constraints: static facts of the node, cheap, unresolvable by waiting.
    constraintFilter,
    // 4. Plugins present and healthy. Before attach limits and storage fit, which read the
    //    plugin's limits and pools and would report a misleading "no room" on a node without it.
    pluginHealthFilter,
    // 5. Attach limits: one counter per plugin; cheaper than storage fit and independent of pools.
    attachLimitFilter,
    // 6. CPU and memory: two subtractions against the ledger view plus this pass's proposals.
    cpuMemoryFilter,
    // 7. Host ports: a set lookup per fixed port (a range count only for tasks with picked ports).
    hostPortFilter,
    // 8. Storage fit for all unbound claims together: the most work (assigning claims to pools,
    //    summing per pool), so last; it also records the pool plan the reservation will use.
    storageFitFilter,
  ];
  const scorers: Scorer[] = [
    // Data locality / reservation reuse outweighs packing by default: moving data is expensive,
    // an idle core is not.
    dataLocalityScorer(options.weights.dataLocality),
    // Binpack or spread on utilization after placement.
    resourceFitScorer(options.strategy, options.weights.resourceFit),
  ];
  return { filters, scorers, candidateLimit: options.candidateLimit };
}
