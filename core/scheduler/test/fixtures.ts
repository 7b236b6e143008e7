/**
 * Test builders. Tests are composition roots: they wire the real ledger (core/reservations) to
 * the scheduler, which the production code of either package must not do itself.
 */
import { instanceTaskId, nodeCapacity } from '../../domain';
import type { ClaimRequest, NodeInfo, StoragePool, TaskRequest } from '../../domain';
import { InMemoryLedgerStore, Ledger } from '../../reservations';
import type { InMemoryLedgerStoreOptions } from '../../reservations';

export const Mi = 1024 ** 2;
export const Gi = 1024 ** 3;
export const LOCAL = 'berth.local';

export function node(id: string, overrides: Partial<NodeInfo> & { ssdBytes?: number } = {}): NodeInfo {
  const pools: StoragePool[] = overrides.pools
    ? [...overrides.pools]
    : [{ plugin: LOCAL, pool: 'ssd', capacityBytes: overrides.ssdBytes ?? 10 * Gi, healthy: true }];
  return {
    id,
    zone: overrides.zone ?? 'z1',
    ready: overrides.ready ?? true,
    labels: overrides.labels ?? {},
    cpuMillis: overrides.cpuMillis ?? 4000,
    memoryBytes: overrides.memoryBytes ?? 8 * Gi,
    pools,
    plugins: overrides.plugins ?? [{ plugin: LOCAL, healthy: true }],
  };
}

export function claim(claimId: string, sizeBytes: number, overrides: Partial<ClaimRequest> = {}): ClaimRequest {
  return { claimId, storageClass: 'local-ssd', plugin: LOCAL, pool: 'ssd', sizeBytes, accessMode: 'single-node-writer', ...overrides };
}

export function task(app: string, instance: number, overrides: Partial<TaskRequest> = {}): TaskRequest {
  return {
    taskId: instanceTaskId(app, instance),
    app,
    instance,
    cpuMillis: 500,
    memoryBytes: 256 * Mi,
    constraints: [],
    claims: [],
    ...overrides,
  };
}

/** A ledger with every node registered from its NodeInfo. */
export async function ledgerFor(nodes: readonly NodeInfo[], storeOptions: InMemoryLedgerStoreOptions = {}): Promise<Ledger> {
  const ledger = new Ledger(new InMemoryLedgerStore(storeOptions));
  for (const n of nodes) await ledger.registerNode(n.id, nodeCapacity(n));
  return ledger;
}

/** Random 0–2 ms pauses before each ledger transaction, so concurrent callers interleave for real. */
export function jitter(seed = 42): () => Promise<void> {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const ms = s % 3;
    return new Promise((resolve) => (ms === 0 ? setImmediate(resolve) : setTimeout(resolve, ms)));
  };
}
