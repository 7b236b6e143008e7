/**
 * A node as the scheduler sees it: identity, placement labels, readiness, compute capacity and the
 * storage its CSI plugins report (pools per plugin, plugin health, attach limits).
 */
import type { NodeCapacity } from './capacity';
import { poolKey } from './pool-key';
import type { PortRange } from './host-ports';

/** Label key under which constraints can match a node's zone, alongside its own labels. */
export const ZONE_LABEL = 'zone';

/** One storage pool a plugin reports on a node (CSI GetCapacity per pool + topology). */
export interface StoragePool {
  readonly plugin: string;
  readonly pool: string;
  /** Total bytes Berth may allocate in this pool; the ledger subtracts reservations from it. */
  readonly capacityBytes: number;
  readonly healthy: boolean;
  /** Free-form pool labels matched by a claim's pool selector (e.g. { media: "ssd" }). */
  readonly labels?: Readonly<Record<string, string>>;
}

/** A CSI plugin's node service on this node. */
export interface NodePlugin {
  readonly plugin: string;
  readonly healthy: boolean;
  /** CSI NodeGetInfo `max_volumes_per_node`; absent or 0 means no limit (as in the CSI spec). */
  readonly maxVolumesPerNode?: number;
}

export interface NodeInfo {
  readonly id: string;
  readonly zone: string;
  /** Heartbeating and accepting work. */
  readonly ready: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly cpuMillis: number;
  readonly memoryBytes: number;
  readonly pools: readonly StoragePool[];
  readonly plugins: readonly NodePlugin[];
  /** Where dynamic host ports are picked on this node; absent: none are. */
  readonly hostPortRange?: PortRange;
}

/** The value of label `key` on a node; `zone` resolves to the node's zone unless the node labels it itself. */
export function nodeLabel(node: NodeInfo, key: string): string | undefined {
  const own = node.labels[key];
  if (own !== undefined) return own;
  return key === ZONE_LABEL ? node.zone : undefined;
}

/** What the ledger may hand out on this node: compute, every pool's bytes, attach slots per limited plugin. */
export function nodeCapacity(node: NodeInfo): NodeCapacity {
  const poolBytes = new Map<string, number>();
  for (const p of node.pools) poolBytes.set(poolKey(p.plugin, p.pool), p.capacityBytes);
  const attachSlots = new Map<string, number>();
  for (const p of node.plugins) {
    if (p.maxVolumesPerNode !== undefined && p.maxVolumesPerNode > 0) attachSlots.set(p.plugin, p.maxVolumesPerNode);
  }
  return {
    cpuMillis: node.cpuMillis,
    memoryBytes: node.memoryBytes,
    poolBytes,
    attachSlots,
    ...(node.hostPortRange ? { hostPortRange: node.hostPortRange } : {}),
  };
}
