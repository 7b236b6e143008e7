import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../integration/harness/cluster';
import { tempDir } from '../integration/harness/fs-helpers';
import type { BenchResult } from './main';
import { AgentFleet } from './sim-agents/agent-fleet';
import { BenchApi, type TaskView } from './sim-agents/bench-api';
import { LOCAL_PLUGIN, POOL } from './sim-agents/fake-local-plugin';
import { NodeDownWatch } from './sim-agents/node-down-watch';
import { ServerProcess } from './sim-agents/server-process';
import { fmtMs, percentile } from './stats';
import { AGENT_LONG_POLL_MS } from '../proto/berth/sync-timing';
import { NodeLiveness } from '../server/agents/node-liveness';
import { JOIN_TOKEN_FILE } from '../server/credentials';

/**
 * `npm run bench -- control-plane [--sizes 100,1000] [--idle-seconds 60] [--converge-seconds N]`: a real
 * `berth server` (child process) against N simulated agents in this process speaking the agent protocol
 * (bench/sim-agents/), 5 tasks per node, each with a node-local berth.local claim the agents "create".
 * Per size: apply → all running, idle cost, API latency, memory, node liveness, and a kill -9 restart.
 * Every wait is bounded: a size that does not converge is reported as such and the bench moves on.
 */

const TASKS_PER_NODE = 5;
const INSTANCES_PER_APP = 50;
const NODE_CPU_CORES = 4;
const NODE_MEMORY = 8 * 1024 ** 3;
const NODE_POOL = 100 * 1024 ** 3;
const TASKS_REQUESTS = 100;
const SETTLE_MS = 5000;
const NODE_DOWN_AFTER_S = 15;
/** How long the server holds an idle agent's Sync: a third of its node-down time, longer in a large cluster (server/agents/node-liveness.ts). */
const pollSeconds = (nodes: number): number => Math.min(AGENT_LONG_POLL_MS, new NodeLiveness().holdMs(NODE_DOWN_AFTER_S * 1000, nodes)) / 1000;

interface Options {
  sizes: number[];
  idleSeconds: number;
  convergeSeconds: (nodes: number) => number;
}

function parseOptions(argv: string[]): Options {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
  };
  const sizes = (value('--sizes') ?? '100,1000,2000').split(',').map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n <= 0))
    throw new Error(`--sizes: expected positive whole numbers separated by commas, got ${value('--sizes')}`);
  const idleSeconds = Number(value('--idle-seconds') ?? 60);
  if (!(idleSeconds > 0)) throw new Error(`--idle-seconds: expected a positive number, got ${value('--idle-seconds')}`);
  const fixed = value('--converge-seconds');
  if (fixed !== undefined && !(Number(fixed) > 0)) throw new Error(`--converge-seconds: expected a positive number, got ${fixed}`);
  // Long enough for ~35 placements/s (below what the server did at 500 nodes), short enough to move on.
  return { sizes, idleSeconds, convergeSeconds: (n) => (fixed !== undefined ? Number(fixed) : Math.max(60, n * 0.15)) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const progress = (line: string) => process.stderr.write(`   … ${line}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const thousands = (n: number) => n.toLocaleString('en-US');

/** The storage class and apps: INSTANCES_PER_APP instances each, one 1Gi node-local claim per instance. */
export function benchManifest(tasks: number): { manifest: string; apps: string[] } {
  const docs = [
    `kind: StorageClass
name: sim-local
spec:
  plugin: ${LOCAL_PLUGIN}
  bindingMode: WaitForFirstConsumer
  reclaimPolicy: Retain
  parameters: { pool: ${POOL} }
`,
  ];
  const apps: string[] = [];
  for (let left = tasks, i = 0; left > 0; left -= INSTANCES_PER_APP, i++) {
    const name = `sim-app-${String(i).padStart(4, '0')}`;
    apps.push(name);
    docs.push(`kind: App
name: ${name}
spec:
  instances: ${Math.min(INSTANCES_PER_APP, left)}
  runtime: process
  command: ["sleep", "infinity"]
  resources: { cpu: 0.1, memory: 64Mi }
  volumes:
    - name: data
      mountPath: /data
      claim: { storageClass: sim-local, size: 1Gi, accessMode: single-node-writer }
`);
  }
  return { manifest: docs.join('---\n'), apps };
}

interface Restart {
  apiBackMs?: number;
  tasksBackMs?: number;
  allAgentsBackMs?: number;
  restarted: string[];
  replaced: string[];
  missing: string[];
  notRunning: number;
  droppedByAgents: number;
  /** A bare `berth --version` at the same moment: what loading Node and the CLI costs on this machine now. */
  bareStartMs: number;
  note?: string;
}

interface SizeResult {
  nodes: number;
  tasks: number;
  converged: boolean;
  applyMs?: number;
  /** CPU the server used from the apply until every task ran: what the wall time would be on an idle core. */
  applyCpuS?: number;
  convergeNote: string;
  idleCpuPct?: number;
  benchCpuPct?: number;
  syncPerS?: number;
  changedPerS?: number;
  tasksP50?: number;
  tasksP99?: number;
  tasksSamples: number;
  rssMb?: number;
  metrics: string;
  downNodes: Map<string, string>;
  /** The watch's looks at events and nodes that were answered / not answered. */
  watchLooks: [number, number];
  /** The longest silence between two Sync answers of one agent before the kill, and across the restart. */
  longestGap: { nodeId: string; ms: number };
  longestGapRestart?: { nodeId: string; ms: number };
  logProblems: string[];
  /** Failed Sync calls (deadline, unavailable) outside the restart. */
  syncErrors: number;
  /** 1-minute load average of this machine at the start and end of the idle window (it is shared). */
  load?: [number, number];
  restart?: Restart;
  error?: string;
}

async function waitUntil(deadlineMs: number, check: () => Promise<boolean> | boolean, everyMs = 250): Promise<boolean> {
  for (;;) {
    try {
      if (await check()) return true;
    } catch {
      /* not yet */
    }
    if (Date.now() >= deadlineMs) return false;
    await sleep(everyMs);
  }
}

async function taskStates(api: BenchApi): Promise<string> {
  try {
    const counts = new Map<string, number>();
    for (const t of await api.list<TaskView>('tasks', 30_000)) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
    return [...counts].map(([s, n]) => `${n} ${s}`).join(', ') || 'no tasks';
  } catch (error) {
    return `tasks not listed: ${(error as Error).message}`;
  }
}

async function runSize(nodes: number, options: Options): Promise<SizeResult> {
  const tasks = nodes * TASKS_PER_NODE;
  const result: SizeResult = {
    nodes,
    tasks,
    converged: false,
    convergeNote: '',
    tasksSamples: 0,
    metrics: 'n/a',
    downNodes: new Map(),
    watchLooks: [0, 0],
    longestGap: { nodeId: '', ms: 0 },
    logProblems: [],
    syncErrors: 0,
  };
  const dir = tempDir('bench-control-plane');
  mkdirSync(join(dir, 'server'));
  const token = randomBytes(16).toString('hex');
  const server = new ServerProcess({
    dataDir: join(dir, 'server'),
    apiPort: await freePort(),
    agentPort: await freePort(),
    token,
    logFile: join(dir, 'server.log'),
    nodeDownAfterSeconds: NODE_DOWN_AFTER_S,
  });
  const api = new BenchApi(server.apiUrl, token);
  const watch = new NodeDownWatch(api);
  let fleet: AgentFleet | undefined;
  try {
    server.start();
    if (!(await waitUntil(Date.now() + 30_000, () => api.answers()))) throw new Error(`the server did not answer within 30 s:\n${server.logTail()}`);

    // 1. Nodes: simulated agents, their first Syncs spread over up to 10 s.
    fleet = new AgentFleet({
      server: server.agentAddress,
      joinToken: readFileSync(join(dir, 'server', JOIN_TOKEN_FILE), 'utf8').trim(),
      nodes,
      staggerMs: Math.min(10_000, nodes * 5),
      cpuCores: NODE_CPU_CORES,
      memoryBytes: NODE_MEMORY,
      poolBytes: NODE_POOL,
    });
    const registering = Date.now();
    fleet.start();
    watch.resume();
    const readyBudget = 30_000 + nodes * 30;
    const allReady = await waitUntil(
      Date.now() + readyBudget,
      async () => (await api.list<{ state: string }>('nodes', 20_000)).filter((n) => n.state === 'ready').length === nodes,
      1000,
    );
    if (!allReady) throw new Error(`not all ${nodes} nodes registered within ${secs(readyBudget)} (${fleet.answeredSince(registering)} agents had an answer)`);
    progress(`${nodes} nodes ready in ${secs(Date.now() - registering)}`);

    // 2. apply → every task running, as the agents saw it acknowledged (the server records a report before
    // it answers), then confirmed by the API.
    const { manifest, apps } = benchManifest(tasks);
    const budgetMs = options.convergeSeconds(nodes) * 1000;
    const applied = Date.now();
    const applyCpu0 = server.cpuSeconds();
    const deadline = applied + budgetMs;
    const res = await api.call('POST', '/v1/apply', { manifest }, budgetMs);
    if (res.status !== 200) throw new Error(`apply: HTTP ${res.status}: ${res.text.slice(0, 500)}`);
    progress(`applied ${apps.length} apps (${thousands(tasks)} tasks) in ${secs(res.ms)}`);
    let lastProgress = Date.now();
    const counters = fleet.counters;
    let acked = await waitUntil(deadline, () => {
      if (Date.now() - lastProgress > 10_000) {
        lastProgress = Date.now();
        progress(`${counters.runningAcked.size}/${tasks} running after ${secs(Date.now() - applied)}`);
      }
      return counters.runningAcked.size >= tasks;
    });
    if (acked) result.applyCpuS = server.cpuSeconds() - applyCpu0;
    let confirmed = false;
    if (acked) {
      const agentsSaw = Math.max(...counters.runningAcked.values());
      confirmed = await waitUntil(
        deadline + 30_000,
        async () => (await api.list<TaskView>('tasks', 30_000)).filter((t) => t.state === 'running').length === tasks,
        1000,
      );
      result.applyMs = agentsSaw - applied;
      if (!confirmed) acked = false;
    }
    result.converged = acked && confirmed;
    result.convergeNote = result.converged
      ? ''
      : `did not converge within ${secs(budgetMs)} (${counters.runningAcked.size}/${tasks} reported running and acknowledged; server: ${await taskStates(api)})`;
    progress(result.converged ? `all running after ${secs(result.applyMs!)}` : result.convergeNote);

    // 3. Idle: nothing changes. Server CPU and Sync answers over the window; the watch pauses so its
    // requests are not counted, and looks once after.
    await sleep(SETTLE_MS);
    watch.pause();
    const cpu0 = server.cpuSeconds();
    const bench0 = process.cpuUsage();
    const answers0 = counters.answers;
    const changed0 = counters.changedAnswers;
    const idle0 = performance.now();
    const load0 = loadavg()[0];
    await sleep(options.idleSeconds * 1000);
    result.load = [load0, loadavg()[0]];
    const idleS = (performance.now() - idle0) / 1000;
    result.idleCpuPct = ((server.cpuSeconds() - cpu0) / idleS) * 100;
    const bench = process.cpuUsage(bench0);
    result.benchCpuPct = ((bench.user + bench.system) / 1e6 / idleS) * 100;
    result.syncPerS = (counters.answers - answers0) / idleS;
    result.changedPerS = (counters.changedAnswers - changed0) / idleS;
    result.rssMb = server.rssBytes() / 1024 ** 2;
    progress(`idle: server ${result.idleCpuPct.toFixed(1)} % CPU, ${result.syncPerS.toFixed(1)} Sync answers/s`);

    // 4. Reconcile work per change, if the server tells; GET /v1/tasks latency (sequential, bounded).
    try {
      const m = await api.call('GET', '/v1/metrics', undefined, 10_000);
      result.metrics =
        m.status === 200 ? m.text.trim().slice(0, 2000) : m.status === 404 ? 'n/a (server exposes no metrics yet)' : `n/a (GET /v1/metrics: HTTP ${m.status})`;
    } catch (error) {
      result.metrics = `n/a (GET /v1/metrics: ${(error as Error).message})`;
    }
    const samples: number[] = [];
    const latencyDeadline = Date.now() + 60_000;
    for (let i = 0; i < TASKS_REQUESTS && Date.now() < latencyDeadline; i++) {
      try {
        const a = await api.call('GET', '/v1/tasks', undefined, 30_000);
        if (a.status === 200) samples.push(a.ms);
      } catch {
        /* a timed-out request counts as missing; the sample count says so */
      }
    }
    result.tasksSamples = samples.length;
    if (samples.length > 0) {
      result.tasksP50 = percentile(samples, 50);
      result.tasksP99 = percentile(samples, 99);
    }
    await watch.check();
    watch.resume();

    // 5. kill -9 and restart on the same data dir and ports.
    result.longestGap = fleet.longestGap();
    result.syncErrors = fleet.counters.errors;
    fleet.resetGaps();
    result.restart = await killAndRestart(server, api, fleet, tasks);
    await watch.check();
    result.downNodes = watch.down;
    result.longestGapRestart = fleet.longestGap();
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    result.downNodes = watch.down;
    if (fleet && result.longestGap.ms === 0) {
      result.longestGap = fleet.longestGap();
      result.syncErrors = fleet.counters.errors;
    }
  } finally {
    result.watchLooks = [watch.answered, watch.unanswered];
    result.logProblems = server.problems();
    await watch.stop();
    fleet?.stop();
    await server.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

async function killAndRestart(server: ServerProcess, api: BenchApi, fleet: AgentFleet, tasks: number): Promise<Restart> {
  const out: Restart = { restarted: [], replaced: [], missing: [], notRunning: 0, droppedByAgents: 0, bareStartMs: await server.bareStartMs() };
  // A server too busy to list its tasks is still killed and restarted: how fast it answers again is measured.
  let before: TaskView[] | undefined;
  try {
    before = await api.list<TaskView>('tasks', 60_000);
  } catch (error) {
    out.note = `tasks not listed before the kill (${(error as Error).message}): not compared`;
  }
  const dropped0 = fleet.counters.dropped;
  const killed = Date.now();
  await server.kill9();
  server.start();
  if (await waitUntil(killed + 60_000, () => api.answers(500), 20)) out.apiBackMs = Date.now() - killed;
  if (await waitUntil(killed + 60_000, async () => (await api.call('GET', '/v1/tasks', undefined, 30_000)).status === 200, 20))
    out.tasksBackMs = Date.now() - killed;
  // Any answer after the kill comes from the new server.
  if (await waitUntil(killed + 90_000, () => fleet.answeredSince(killed) === fleet.agents.length, 100)) out.allAgentsBackMs = Date.now() - killed;
  out.droppedByAgents = fleet.counters.dropped - dropped0;
  if (!before) return out;
  await sleep(SETTLE_MS);
  let after: TaskView[];
  try {
    after = await api.list<TaskView>('tasks', 60_000);
  } catch (error) {
    return { ...out, note: `tasks not listed after the restart (${(error as Error).message}): not compared` };
  }
  const now = new Map(after.map((t) => [t.id, t]));
  for (const t of before) {
    const a = now.get(t.id);
    if (!a) {
      out.missing.push(t.id);
      continue;
    }
    if (a.nodeId !== t.nodeId) out.replaced.push(t.id);
    if (a.restarts !== t.restarts || a.generation !== t.generation) out.restarted.push(t.id);
  }
  out.notRunning = tasks - after.filter((t) => t.state === 'running').length;
  out.droppedByAgents = fleet.counters.dropped - dropped0;
  return out;
}

const GOALS = {
  apply: 'goal at 1,000 nodes: ≤ 5 s, ≥ 1,000 placements/s',
  cpu: 'goal ≤ 5 %',
  tasks: 'goal p99 ≤ 100 ms',
  down: 'goal: none',
  rss: 'goal ≤ 300 MB',
  restart: 'goal ≤ 2 s, no task restarted or re-placed',
};

const few = (ids: string[]) => (ids.length === 0 ? '0' : `${ids.length} (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''})`);

function describe(r: SizeResult, options: Options): string[] {
  const lines = [
    `-- ${thousands(r.nodes)} nodes, ${thousands(r.tasks)} tasks (${Math.ceil(r.tasks / INSTANCES_PER_APP)} apps, each instance with a 1Gi ${LOCAL_PLUGIN} claim)`,
  ];
  const pad = (s: string, goal?: string) => (goal ? `${s.padEnd(72)} ${goal}` : s);
  if (r.applyMs !== undefined || r.convergeNote) {
    lines.push(
      pad(
        r.converged
          ? `apply → all running: ${secs(r.applyMs!)} (${(r.tasks / (r.applyMs! / 1000)).toFixed(0)} placements/s; server CPU meanwhile ${r.applyCpuS!.toFixed(1)} s)`
          : `apply → all running: ${r.convergeNote}`,
        GOALS.apply,
      ),
    );
  }
  if (r.idleCpuPct !== undefined) {
    const busy = r.converged ? '' : ' — not idle: still converging';
    lines.push(pad(`idle server CPU: ${r.idleCpuPct.toFixed(1)} % of one core over ${options.idleSeconds} s${busy}`, GOALS.cpu));
    lines.push(
      `  (this bench process, all simulated agents included: ${r.benchCpuPct!.toFixed(1)} % of one core; machine load average ${r.load![0].toFixed(1)} → ${r.load![1].toFixed(1)} on ${cpus().length} cores)`,
    );
    lines.push(
      `Sync answers/s while nothing changes: ${r.syncPerS!.toFixed(1)} (with a changed desired state: ${r.changedPerS!.toFixed(2)}/s; long polls of ${pollSeconds(r.nodes).toFixed(1)} s make ≈ ${(r.nodes / pollSeconds(r.nodes)).toFixed(0)}/s)`,
    );
    lines.push(`reconcile work per change: ${r.metrics}`);
    lines.push(
      pad(
        r.tasksSamples > 0
          ? `GET /v1/tasks while idle (${r.tasksSamples} requests): p50 ${fmtMs(r.tasksP50!)}, p99 ${fmtMs(r.tasksP99!)}`
          : 'GET /v1/tasks while idle: no answer',
        GOALS.tasks,
      ),
    );
    lines.push(pad(`server RSS: ${r.rssMb!.toFixed(0)} MB`, GOALS.rss));
  }
  const downs = [...r.downNodes];
  const unseen = downs.length === 0 && r.watchLooks[0] === 0;
  lines.push(
    pad(
      `nodes marked down while their agents synced: ${
        unseen
          ? 'unknown (the server never answered the watch)'
          : downs.length === 0
            ? 'none'
            : `${downs.length} (${downs
                .slice(0, 3)
                .map(([n, how]) => `${n}: ${how}`)
                .join('; ')})`
      }` +
        ` — ${r.watchLooks[0]} looks answered, ${r.watchLooks[1]} not; longest silence between one agent's Sync answers ${secs(r.longestGap.ms)}${r.longestGap.nodeId ? ` (${r.longestGap.nodeId})` : ''}, failed Syncs ${r.syncErrors}`,
      GOALS.down,
    ),
  );
  const x = r.restart;
  if (x) {
    lines.push(
      pad(
        `kill -9 → API answering: ${x.apiBackMs !== undefined ? secs(x.apiBackMs) : 'not within 60 s'}; first GET /v1/tasks ${x.tasksBackMs !== undefined ? secs(x.tasksBackMs) : 'not within 60 s'}; every agent answered again ${x.allAgentsBackMs !== undefined ? secs(x.allAgentsBackMs) : 'not within 90 s'}`,
        GOALS.restart,
      ),
    );
    lines.push(`  (reference: a bare \`berth --version\` takes ${secs(x.bareStartMs)} on this machine right now)`);
    lines.push(
      x.note
        ? `  after restart: ${x.note}`
        : `  after restart: restarted ${few(x.restarted)}, re-placed ${few(x.replaced)}, missing ${few(x.missing)}, not running ${x.notRunning}, taken from their node by the server (agents' view) ${x.droppedByAgents}`,
    );
    if (r.longestGapRestart) lines.push(`  longest silence between one agent's Sync answers across the restart: ${secs(r.longestGapRestart.ms)}`);
  }
  if (r.logProblems.length > 0) lines.push(`server log: ${r.logProblems.length} warnings/errors; first: ${r.logProblems[0].slice(0, 300)}`);
  if (r.error) lines.push(`failed: ${r.error}`);
  return lines;
}

function summary(results: SizeResult[]): string[] {
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const lines = [
    row([
      'nodes / tasks',
      'apply → running',
      'idle CPU',
      'Sync/s idle',
      'GET /v1/tasks p50 / p99',
      'RSS',
      'nodes down',
      'API after kill -9',
      'restarted / re-placed',
    ]),
  ];
  lines.push(row(Array(9).fill('---') as string[]));
  for (const r of results) {
    const x = r.restart;
    lines.push(
      row([
        `${thousands(r.nodes)} / ${thousands(r.tasks)}`,
        r.converged
          ? `${secs(r.applyMs!)} (${(r.tasks / (r.applyMs! / 1000)).toFixed(0)}/s)`
          : r.error && r.applyMs === undefined && !r.convergeNote
            ? 'failed'
            : 'did not converge',
        r.idleCpuPct !== undefined ? `${r.idleCpuPct.toFixed(1)} %` : '–',
        r.syncPerS !== undefined ? r.syncPerS.toFixed(1) : '–',
        r.tasksP50 !== undefined ? `${fmtMs(r.tasksP50)} / ${fmtMs(r.tasksP99!)}` : '–',
        r.rssMb !== undefined ? `${r.rssMb.toFixed(0)} MB` : '–',
        r.downNodes.size === 0 && r.watchLooks[0] === 0 ? 'unknown' : String(r.downNodes.size),
        x?.apiBackMs !== undefined ? secs(x.apiBackMs) : '–',
        x && !x.note ? `${x.restarted.length} / ${x.replaced.length}` : '–',
      ]),
    );
  }
  lines.push(
    'goals at 1,000 nodes / 5,000 tasks: apply → running ≤ 5 s, idle CPU ≤ 5 %, GET /v1/tasks p99 ≤ 100 ms, no node down, RSS ≤ 300 MB, API ≤ 2 s after kill -9 with no task restarted or re-placed',
  );
  return lines;
}

export async function runControlPlaneBench(): Promise<BenchResult> {
  const options = parseOptions(process.argv.slice(2));
  process.stdout.write(
    `simulated agents (one process, the real agent protocol) against a real berth server; sizes ${options.sizes.join(', ')} nodes, ${TASKS_PER_NODE} tasks per node, idle window ${options.idleSeconds} s\n`,
  );
  const results: SizeResult[] = [];
  for (const nodes of options.sizes) {
    const r = await runSize(nodes, options);
    results.push(r);
    for (const line of describe(r, options)) process.stdout.write(`${line}\n`);
  }
  return { lines: ['', ...summary(results)] };
}

if (require.main === module) {
  runControlPlaneBench().then(
    (r) => {
      for (const l of r.lines) console.log(l);
      process.exit(0);
    },
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
