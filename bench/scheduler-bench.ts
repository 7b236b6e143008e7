/**
 * Scheduler throughput bench: 5,000 simulated nodes in 3 zones (CPU, memory, two local pools),
 * 20,000 tasks placed through filter → score → reserve with real ledger commits — once with 1–2
 * local claims per task, once without claims — in the same process, so the ratio compares like
 * with like. Decision latency covers one `pass.place(task)` (selection plus the awaited ledger
 * commit); the cost of opening each pass (ledger snapshot) is charged to its first decision.
 * The two scenarios run interleaved for a few rounds and the best round of each is reported:
 * on a shared machine, the best round is the one least disturbed by other processes.
 *
 * Targets (issue 3): ≥ 5,000 placements/s with claims, p99 ≤ 5 ms, and claims costing at most
 * half the volume-less throughput (ratio ≥ 0.5).
 */
import { nodeCapacity } from '../core/domain';
import type { ClaimRequest, NodeInfo, TaskRequest } from '../core/domain';
import { InMemoryLedgerStore, Ledger } from '../core/reservations';
import { Scheduler } from '../core/scheduler';

const Mi = 1024 ** 2;
const Gi = 1024 ** 3;
const Ti = 1024 ** 4;
const NODE_COUNT = 5_000;
const TASK_COUNT = 20_000;
const ZONES = ['zone-a', 'zone-b', 'zone-c'];
/** Tasks per pass, like the instances of one app being placed by one evaluation. */
const PASS_SIZE = 50;
const ROUNDS = 3;

interface ScenarioResult {
  readonly placed: number;
  readonly unschedulable: number;
  readonly seconds: number;
  readonly placementsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export async function runSchedulerBench(): Promise<{ lines: string[] }> {
  const random = lcg(20240611);
  const nodes = makeNodes(random);
  const withClaims = makeTasks(random, true);
  const withoutClaims = makeTasks(random, false);

  // Warm the JIT on both shapes so neither measured run pays for compilation.
  await runScenario(nodes, withoutClaims.slice(0, 2_000));
  await runScenario(nodes, withClaims.slice(0, 2_000));

  let bare: ScenarioResult | undefined;
  let claims: ScenarioResult | undefined;
  for (let round = 0; round < ROUNDS; round++) {
    bare = best(bare, await runScenario(nodes, withoutClaims));
    claims = best(claims, await runScenario(nodes, withClaims));
  }
  if (!bare || !claims) throw new Error('no rounds ran');
  const ratio = claims.placementsPerSecond / bare.placementsPerSecond;

  const row = (label: string, r: ScenarioResult) =>
    `  ${label.padEnd(16)} ${fmt(r.placementsPerSecond, 0).padStart(8)} placements/s   p50 ${fmt(r.p50Ms, 3)} ms   p99 ${fmt(r.p99Ms, 3)} ms   ` +
    `(${r.placed} placed, ${r.unschedulable} unschedulable, ${fmt(r.seconds, 2)} s)`;
  const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  return {
    lines: [
      `scheduler: ${NODE_COUNT} nodes in ${ZONES.length} zones, ${TASK_COUNT} tasks, filter → score → reserve (in-memory ledger), best of ${ROUNDS} interleaved rounds`,
      row('with claims', claims),
      row('without claims', bare),
      `  claims/no-claims throughput ratio ${fmt(ratio, 2)} (target ≥ 0.50: ${verdict(ratio >= 0.5)})`,
      `  with claims: ≥ 5000 placements/s ${verdict(claims.placementsPerSecond >= 5000)}, p99 ≤ 5 ms ${verdict(claims.p99Ms <= 5)}`,
    ],
  };
}

async function runScenario(nodes: readonly NodeInfo[], tasks: readonly TaskRequest[]): Promise<ScenarioResult> {
  const ledger = new Ledger(new InMemoryLedgerStore());
  for (const n of nodes) await ledger.registerNode(n.id, nodeCapacity(n));
  const scheduler = new Scheduler(ledger, { seed: 7 });
  const latencies = new Float64Array(tasks.length);
  let placed = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < tasks.length; i += PASS_SIZE) {
    const passStart = process.hrtime.bigint();
    const pass = await scheduler.beginPass(nodes);
    let decisionStart = passStart;
    for (let j = i; j < Math.min(i + PASS_SIZE, tasks.length); j++) {
      const result = await pass.place(tasks[j]!);
      const now = process.hrtime.bigint();
      latencies[j] = Number(now - decisionStart) / 1e6;
      decisionStart = now;
      if (result.kind === 'placed') placed++;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  return {
    placed,
    unschedulable: tasks.length - placed,
    seconds,
    placementsPerSecond: tasks.length / seconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
  };
}

function makeNodes(random: () => number): NodeInfo[] {
  return Array.from({ length: NODE_COUNT }, (_, i) => ({
    id: `node-${String(i).padStart(4, '0')}`,
    zone: ZONES[i % ZONES.length]!,
    ready: random() > 0.01, // a few nodes are always down, as in any real fleet
    labels: { rack: `r${i % 40}` },
    cpuMillis: 32_000,
    memoryBytes: 128 * Gi,
    pools: [
      { plugin: 'berth.local', pool: 'ssd', capacityBytes: 2 * Ti, healthy: true, labels: { media: 'ssd' } },
      { plugin: 'berth.local', pool: 'hdd', capacityBytes: 8 * Ti, healthy: true, labels: { media: 'hdd' } },
    ],
    plugins: [{ plugin: 'berth.local', healthy: true, maxVolumesPerNode: 64 }],
  }));
}

function makeTasks(random: () => number, withClaims: boolean): TaskRequest[] {
  return Array.from({ length: TASK_COUNT }, (_, i) => {
    const app = `app${Math.floor(i / PASS_SIZE)}`;
    const instance = i % PASS_SIZE;
    const claims: ClaimRequest[] = [];
    if (withClaims) {
      const count = random() < 0.5 ? 1 : 2;
      for (let c = 0; c < count; c++) {
        claims.push({
          claimId: `${app}-${instance}-vol${c}`,
          storageClass: c === 0 ? 'local-ssd' : 'local-hdd',
          plugin: 'berth.local',
          pool: c === 0 ? 'ssd' : 'hdd',
          sizeBytes: (1 + Math.floor(random() * 20)) * Gi,
          accessMode: 'single-node-writer',
        });
      }
    }
    return {
      taskId: `${app}-${instance}`,
      app,
      instance,
      cpuMillis: 250 * (1 + Math.floor(random() * 4)),
      memoryBytes: 256 * Mi * (1 + Math.floor(random() * 8)),
      // One task in five is pinned to a zone: the filter then rejects two nodes in three.
      constraints: random() < 0.2 ? [{ key: 'zone', operator: 'In' as const, values: [ZONES[Math.floor(random() * 3)]!] }] : [],
      claims,
    };
  });
}

function best(current: ScenarioResult | undefined, next: ScenarioResult): ScenarioResult {
  return !current || next.placementsPerSecond > current.placementsPerSecond ? next : current;
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function fmt(value: number, digits: number): string {
  return value.toFixed(digits);
}

/** Deterministic workload: the same nodes and tasks on every run. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

if (require.main === module) {
  runSchedulerBench()
    .then(({ lines }) => console.log(lines.join('\n')))
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
