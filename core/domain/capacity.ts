/**
 * Capacity arithmetic shared by the ledger (authoritative check at commit) and the scheduler
 * (feasibility against a snapshot). Keeping one definition of "fits" in the domain means the two
 * can never disagree about what overcommit means.
 */
import { InvalidRequestError } from './errors';
import { poolKey, type PoolKey } from './pool-key';
import type { NodeLedgerState } from './node-ledger-state';
import { formatPortRange, MAX_PORT, MIN_PORT, type HostPort, type PortRange } from './host-ports';

/** Bytes set aside in one pool; `claimId` records which claim the bytes are for (informational). */
export interface PoolAmount {
  readonly plugin: string;
  readonly pool: string;
  readonly bytes: number;
  readonly claimId?: string;
}

/** Number of volume attachments a reservation takes for one plugin (counts against attach limits). */
export interface PluginCount {
  readonly plugin: string;
  readonly count: number;
}

/** What one reservation holds on one node. */
export interface ResourceAmounts {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
  readonly pools: readonly PoolAmount[];
  readonly attachments: readonly PluginCount[];
  /** Host ports held on the node, each by one holder only. Absent: none. */
  readonly hostPorts?: readonly HostPort[];
}

/**
 * Totals per node. Used for both capacity and usage. A pool missing from a capacity means the node
 * has no such pool (capacity 0); a plugin missing from `attachSlots` means no attach limit.
 */
export interface NodeTotals {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
  readonly poolBytes: ReadonlyMap<PoolKey, number>;
  readonly attachSlots: ReadonlyMap<string, number>;
  /** Usage only: host port → number of holders (more than 1 only for records adopted beyond capacity). */
  readonly hostPorts?: ReadonlyMap<number, number>;
}

export interface NodeCapacity extends NodeTotals {
  /** Where the ledger picks dynamic host ports on this node; absent: the node hands out none. */
  readonly hostPortRange?: PortRange;
}
export type NodeUsage = NodeTotals;

/** One resource a reservation would push over capacity. */
export type Shortfall =
  | { readonly resource: 'cpu'; readonly needed: number; readonly free: number }
  | { readonly resource: 'memory'; readonly needed: number; readonly free: number }
  | { readonly resource: 'pool'; readonly plugin: string; readonly pool: string; readonly needed: number; readonly free: number }
  | { readonly resource: 'attach'; readonly plugin: string; readonly needed: number; readonly free: number }
  /** A host port the reservation names is held by another holder on the node. */
  | { readonly resource: 'host-port'; readonly name: string; readonly port: number }
  /** The node's dynamic range has fewer free ports than the reservation asks to be picked. */
  | { readonly resource: 'host-port-range'; readonly range?: PortRange; readonly needed: number; readonly free: number };

export const EMPTY_AMOUNTS: ResourceAmounts = Object.freeze({ cpuMillis: 0, memoryBytes: 0, pools: [], attachments: [] });

export function emptyTotals(): NodeTotals {
  return { cpuMillis: 0, memoryBytes: 0, poolBytes: new Map(), attachSlots: new Map() };
}

/** Returns `totals` with `amounts` added (sign 1) or removed (sign -1). Never mutates its input. */
export function addAmounts(totals: NodeTotals, amounts: ResourceAmounts, sign: 1 | -1): NodeTotals {
  const poolBytes = new Map(totals.poolBytes);
  for (const p of amounts.pools) {
    const key = poolKey(p.plugin, p.pool);
    poolBytes.set(key, (poolBytes.get(key) ?? 0) + sign * p.bytes);
  }
  const attachSlots = new Map(totals.attachSlots);
  for (const a of amounts.attachments) attachSlots.set(a.plugin, (attachSlots.get(a.plugin) ?? 0) + sign * a.count);
  const sums = {
    cpuMillis: totals.cpuMillis + sign * amounts.cpuMillis,
    memoryBytes: totals.memoryBytes + sign * amounts.memoryBytes,
    poolBytes,
    attachSlots,
  };
  // The port map is copied only by reservations that hold ports: most hold none.
  if (!amounts.hostPorts?.length) return totals.hostPorts ? { ...sums, hostPorts: totals.hostPorts } : sums;
  const hostPorts = new Map(totals.hostPorts);
  for (const { port } of amounts.hostPorts) {
    const holders = (hostPorts.get(port) ?? 0) + sign;
    if (holders > 0) hostPorts.set(port, holders);
    else hostPorts.delete(port);
  }
  return { ...sums, hostPorts };
}

/**
 * Lists every resource for which `amounts` does not fit the node's free capacity. `credit` is a
 * reservation being replaced on the same node: its amounts count as free for this check.
 * Pools named twice in `amounts` are summed first — two claims in one pool add up.
 */
export function findShortfalls(state: NodeLedgerState, amounts: ResourceAmounts, credit?: ResourceAmounts): Shortfall[] {
  const shortfalls: Shortfall[] = [];
  const { capacity, used } = state;
  const freeCpu = capacity.cpuMillis - used.cpuMillis + (credit?.cpuMillis ?? 0);
  if (amounts.cpuMillis > freeCpu) shortfalls.push({ resource: 'cpu', needed: amounts.cpuMillis, free: freeCpu });
  const freeMemory = capacity.memoryBytes - used.memoryBytes + (credit?.memoryBytes ?? 0);
  if (amounts.memoryBytes > freeMemory) shortfalls.push({ resource: 'memory', needed: amounts.memoryBytes, free: freeMemory });

  if (poolsAreDistinct(amounts.pools)) {
    // Common case (each claim in its own pool): no summing map needed.
    for (const p of amounts.pools) {
      const key = poolKey(p.plugin, p.pool);
      const free = (capacity.poolBytes.get(key) ?? 0) - (used.poolBytes.get(key) ?? 0) + creditedPool(credit, key);
      if (p.bytes > free) shortfalls.push({ resource: 'pool', plugin: p.plugin, pool: p.pool, needed: p.bytes, free });
    }
  } else
    for (const sum of sumPools(amounts.pools)) {
      const free = (capacity.poolBytes.get(sum.key) ?? 0) - (used.poolBytes.get(sum.key) ?? 0) + creditedPool(credit, sum.key);
      if (sum.bytes > free) shortfalls.push({ resource: 'pool', plugin: sum.plugin, pool: sum.pool, needed: sum.bytes, free });
    }
  for (const [plugin, need] of sumAttachments(amounts.attachments)) {
    const limit = capacity.attachSlots.get(plugin);
    if (limit === undefined) continue;
    const creditCount = credit?.attachments.filter((a) => a.plugin === plugin).reduce((s, a) => s + a.count, 0) ?? 0;
    const free = limit - (used.attachSlots.get(plugin) ?? 0) + creditCount;
    if (need > free) shortfalls.push({ resource: 'attach', plugin, needed: need, free });
  }
  for (const p of amounts.hostPorts ?? []) if (hostPortTaken(state, p.port, credit)) shortfalls.push({ resource: 'host-port', name: p.name, port: p.port });
  return shortfalls;
}

/** Whether another holder than the one being replaced (`credit`) holds `port` on the node. */
export function hostPortTaken(state: NodeLedgerState, port: number, credit?: ResourceAmounts): boolean {
  const holders = state.used.hostPorts?.get(port) ?? 0;
  const own = credit?.hostPorts?.some((c) => c.port === port) ? 1 : 0;
  return holders - own > 0;
}

function poolsAreDistinct(pools: readonly PoolAmount[]): boolean {
  for (let i = 0; i < pools.length; i++) {
    for (let j = i + 1; j < pools.length; j++) {
      if (pools[i]!.plugin === pools[j]!.plugin && pools[i]!.pool === pools[j]!.pool) return false;
    }
  }
  return true;
}

function creditedPool(credit: ResourceAmounts | undefined, key: PoolKey): number {
  if (!credit) return 0;
  let sum = 0;
  for (const p of credit.pools) if (poolKey(p.plugin, p.pool) === key) sum += p.bytes;
  return sum;
}

interface PoolSum {
  readonly key: PoolKey;
  readonly plugin: string;
  readonly pool: string;
  bytes: number;
}

function sumPools(pools: readonly PoolAmount[]): Iterable<PoolSum> {
  const byKey = new Map<PoolKey, PoolSum>();
  for (const p of pools) {
    const key = poolKey(p.plugin, p.pool);
    const entry = byKey.get(key);
    if (entry) entry.bytes += p.bytes;
    else byKey.set(key, { key, plugin: p.plugin, pool: p.pool, bytes: p.bytes });
  }
  return byKey.values();
}

function sumAttachments(attachments: readonly PluginCount[]): Map<string, number> {
  const sums = new Map<string, number>();
  for (const a of attachments) sums.set(a.plugin, (sums.get(a.plugin) ?? 0) + a.count);
  return sums;
}

/** Rejects negative, fractional or non-finite amounts: the ledger must never store a value that could hide overcommit. */
export function validateAmounts(amounts: ResourceAmounts, field = 'amounts'): void {
  checkCount(amounts.cpuMillis, field, 'cpuMillis');
  checkCount(amounts.memoryBytes, field, 'memoryBytes');
  for (let i = 0; i < amounts.pools.length; i++) {
    const p = amounts.pools[i]!;
    if (!p.plugin || !p.pool) throw new InvalidRequestError(`${field}.pools[${i}]`, 'needs a plugin and a pool name');
    checkCount(p.bytes, field, `pools[${i}].bytes`);
  }
  for (let i = 0; i < amounts.attachments.length; i++) {
    const a = amounts.attachments[i]!;
    if (!a.plugin) throw new InvalidRequestError(`${field}.attachments[${i}]`, 'needs a plugin name');
    checkCount(a.count, field, `attachments[${i}].count`);
  }
  const ports = new Set<number>();
  amounts.hostPorts?.forEach((p, i) => {
    if (!p.name) throw new InvalidRequestError(`${field}.hostPorts[${i}]`, 'needs a name');
    if (!Number.isSafeInteger(p.port) || p.port < MIN_PORT || p.port > MAX_PORT) {
      throw new InvalidRequestError(`${field}.hostPorts[${i}].port`, `must be a port from ${MIN_PORT} to ${MAX_PORT}, got ${String(p.port)}`);
    }
    if (ports.has(p.port)) throw new InvalidRequestError(`${field}.hostPorts[${i}].port`, `port ${p.port} is listed twice`);
    ports.add(p.port);
  });
}

// The field path is only built when the check fails: validation runs on every reserve.
function checkCount(value: number, field: string, member?: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    const path = member ? `${field}.${member}` : field;
    throw new InvalidRequestError(path, `must be a non-negative integer, got ${String(value)}`, { value });
  }
}

/** True when two amounts hold the same resources (pool and attachment order ignored, claim ids ignored). */
export function sameAmounts(a: ResourceAmounts, b: ResourceAmounts): boolean {
  if (a.cpuMillis !== b.cpuMillis || a.memoryBytes !== b.memoryBytes) return false;
  const poolsA = addAmounts(emptyTotals(), a, 1);
  const poolsB = addAmounts(emptyTotals(), b, 1);
  return sameMap(poolsA.poolBytes, poolsB.poolBytes) && sameMap(poolsA.attachSlots, poolsB.attachSlots) && samePorts(a.hostPorts, b.hostPorts);
}

function samePorts(a: readonly HostPort[] = [], b: readonly HostPort[] = []): boolean {
  return a.length === b.length && a.every((p) => b.some((q) => q.name === p.name && q.port === p.port));
}

function sameMap(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  const nonZero = (m: ReadonlyMap<string, number>) => [...m].filter(([, v]) => v !== 0);
  const entriesA = nonZero(a);
  const entriesB = nonZero(b);
  return entriesA.length === entriesB.length && entriesA.every(([k, v]) => b.get(k) === v);
}

/** Human text for a shortfall, e.g. "pool berth.local/ssd: needs 200Mi, 150Mi free". */
export function describeShortfall(s: Shortfall, formatBytes: (n: number) => string, formatCpu: (n: number) => string): string {
  switch (s.resource) {
    case 'cpu':
      return `cpu: needs ${formatCpu(s.needed)}, ${formatCpu(s.free)} free`;
    case 'memory':
      return `memory: needs ${formatBytes(s.needed)}, ${formatBytes(s.free)} free`;
    case 'pool':
      return `pool ${poolKey(s.plugin, s.pool)}: needs ${formatBytes(s.needed)}, ${formatBytes(s.free)} free`;
    case 'attach':
      return `attach slots of ${s.plugin}: needs ${s.needed}, ${s.free} free`;
    case 'host-port':
      return `host port ${s.port} (${s.name}) in use`;
    case 'host-port-range':
      return s.range
        ? `host ports ${formatPortRange(s.range)}: needs ${s.needed}, ${s.free} free`
        : `host ports: needs ${s.needed} picked, the node has no dynamic range`;
  }
}
