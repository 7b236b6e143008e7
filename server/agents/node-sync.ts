import type { NodeCapacity } from '../../core/domain';
import { DEFAULT_HOST_PORT_RANGE, poolKey } from '../../core/domain';
import type { SyncRequest__Output } from '../../proto/berth/generated/berth/agent/v1/SyncRequest';
import type { SyncResponse } from '../../proto/berth/generated/berth/agent/v1/SyncResponse';
import { recordAgentCreatedVolumes } from '../controllers/provisioning';
import { materialOf } from './node-liveness';
import { checkTransition } from '../controllers/volume-lifecycle';
import type { ClusterContext } from '../cluster-context';
import type { NodeRecord, TaskRecord } from '../store/records';
import { applyHealth, healthChanged } from './task-health';
import { applyContainerAddress } from './task-address';

/** Every node carries its task runtime as a label, so an app only lands where its runtime exists. */
export const RUNTIME_LABEL = 'berth.io/runtime';

/**
 * Ledger capacity of each pool: what the plugin reports free, plus the bytes of Berth's own volumes
 * that were already in that pool when the agent measured it — those volumes hold ledger reservations of
 * their own, so adding them back keeps them from being counted twice. A volume made after the
 * measurement is still inside its task's reservation and is not added.
 */
export function nodeCapacity(ctx: ClusterContext, stored: NodeRecord): NodeCapacity {
  const node = ctx.liveness.live(stored);
  const poolBytes = new Map<string, number>();
  const attachSlots = new Map<string, number>();
  const volumes = ctx.store.volumes.where('node', node.id).filter((v) => v.state !== 'deleting');
  for (const plugin of node.plugins) {
    if (!plugin.name) continue;
    if (Number(plugin.maxVolumes) > 0) attachSlots.set(plugin.name, Number(plugin.maxVolumes));
    for (const pool of plugin.pools) {
      const reportedAt = Number(pool.reportedAtMs);
      const ours = volumes
        .filter((v) => v.plugin === plugin.name && v.pool === pool.name && v.readyAt && Date.parse(v.readyAt) <= reportedAt)
        .reduce((sum, v) => sum + v.capacityBytes, 0);
      poolBytes.set(poolKey(plugin.name, pool.name), Number(pool.availableBytes) + ours);
    }
  }
  // Every node hands out dynamic host ports from the server's range.
  const hostPortRange = ctx.options.hostPortRange ?? DEFAULT_HOST_PORT_RANGE;
  return { cpuMillis: Math.round(node.cpuCores * 1000), memoryBytes: node.memoryBytes, poolBytes, attachSlots, hostPortRange };
}

/**
 * The agent's pool timestamps moved onto the server's clock. Capacity accounting compares them with
 * times the server stamped (a volume's readyAt), which must not depend on how far the two hosts'
 * clocks are apart. The offset also holds the request's one-way latency (sub-millisecond on a LAN):
 * only a volume made within that instant after the measurement could be misjudged. An agent that
 * does not send its clock (older version) is taken at its word.
 */
export function onServerClock(plugins: SyncRequest__Output['plugins'], agentSentAtMs: string, serverNowMs = Date.now()): SyncRequest__Output['plugins'] {
  const offset = agentClockOffsetMs(agentSentAtMs, serverNowMs);
  if (offset === 0) return plugins;
  return plugins.map((p) => ({ ...p, pools: p.pools.map((pool) => ({ ...pool, reportedAtMs: String(Number(pool.reportedAtMs) + offset) })) }));
}

/** How far the server's clock is ahead of the agent's (0 for an agent that sends no clock): add it to an agent timestamp. */
function agentClockOffsetMs(agentSentAtMs: string, serverNowMs = Date.now()): number {
  const sent = Number(agentSentAtMs);
  return sent > 0 ? serverNowMs - sent : 0;
}

/** Applies an agent's report (node, plugins, task states) and answers with the node's desired tasks. */
export async function handleSync(ctx: ClusterContext, req: SyncRequest__Output, cancelled?: AbortSignal): Promise<SyncResponse> {
  // The node is heard from for as long as its Sync is open (held), and when it ends.
  ctx.liveness.callStarted(req.nodeId);
  try {
    return await answerSync(ctx, req, cancelled);
  } finally {
    ctx.liveness.callEnded(req.nodeId);
  }
}

async function answerSync(ctx: ClusterContext, req: SyncRequest__Output, cancelled?: AbortSignal): Promise<SyncResponse> {
  const { store } = ctx;
  // Given up on by its agent already (its deadline passed while it queued): its answer would go nowhere,
  // and the agent sends a fresher report next.
  if (cancelled?.aborted) return { tasks: [], fingerprint: '', syncIntervalMs: 1000 };
  ctx.syncStats.handled++;
  const previous = store.nodes.get(req.nodeId);
  const node: NodeRecord = {
    id: req.nodeId,
    address: req.address,
    labels: { ...req.labels, [RUNTIME_LABEL]: req.runtime },
    cpuCores: req.cpuCores,
    memoryBytes: Number(req.memoryBytes),
    runtime: req.runtime,
    plugins: onServerClock(req.plugins, req.sentAtMs),
    lastSyncMs: Date.now(),
    reportedAtMs: Date.now(),
    state: 'ready',
    features: [...req.features],
    ...(req.dnsAddress ? { dnsAddress: req.dnsAddress } : {}),
  };
  await recordAgentCreatedVolumes(ctx, node, req.tasks, agentClockOffsetMs(req.sentAtMs));
  // Cut short by the agent while recording: a newer Sync with fresher reports is on its way, and applying
  // this one's node record and task states after it would move them backwards.
  if (cancelled?.aborted) return { tasks: [], fingerprint: '', syncIntervalMs: 1000 };
  const reported = new Map(req.tasks.map((t) => [t.taskId, t]));
  ctx.liveness.heard(node);
  // Only what is worth a durable write: the figures every Sync changes stay in memory (NodeLiveness).
  const nodeMaterial = materialOf(node);
  const nodeChanged = () => {
    const stored = store.nodes.get(node.id);
    return !stored || stored.state !== 'ready' || materialOf(stored) !== nodeMaterial;
  };
  const updates = () => store.tasks.where('node', node.id).flatMap((task) => taskUpdate(task, reported.get(task.id), node.id) ?? []);
  // An idle node's report changes nothing: no transaction at all. Otherwise one commit shared with the
  // other agents' Syncs of this moment (group commit), durable before the answer; it looks again inside.
  if (nodeChanged() || updates().length > 0) {
    await store.commitSoon(() => {
      if (nodeChanged()) store.nodes.put(node.id, node);
      for (const { task, next, events } of updates()) {
        checkTransition(ctx.log, 'task', task.id, task.state, next.state);
        store.tasks.put(task.id, next);
        for (const [reason, message] of events) ctx.event(`task/${task.id}`, reason, message);
      }
    });
  }
  if (!previous || previous.state === 'down') ctx.event(`node/${node.id}`, 'NodeReady', `node ${node.id} is ready (${node.plugins.length} CSI plugin(s))`);
  const capacity = nodeCapacity(ctx, node);
  if (ctx.liveness.capacityChanged(node.id, capacity)) await ctx.ledger.registerNode(node.id, capacity);
  // The store tells who waits on the cluster (API blocking queries, this node's long poll) of what the report changed.
  let answer = ctx.nodeAnswers.answer(node.id);
  // Long poll, bounded well below the node-down threshold so a waiting agent never looks lost.
  const deadline = Date.now() + Math.min(req.waitMs, ctx.liveness.holdMs(ctx.options.nodeDownAfterMs, store.nodes.count()));
  while (req.waitMs > 0 && answer.fingerprint === req.knownFingerprint && Date.now() < deadline && !cancelled?.aborted) {
    await ctx.nodeAnswers.waitForChange(node.id, deadline - Date.now(), cancelled);
    if (cancelled?.aborted) break; // nobody is listening for the answer
    answer = ctx.nodeAnswers.answer(node.id);
  }
  // The agent keeps what it has when the fingerprint is the one it sent: no need to send the tasks again.
  return { tasks: answer.fingerprint === req.knownFingerprint ? [] : answer.tasks, fingerprint: answer.fingerprint, syncIntervalMs: 1000 };
}

/** What an agent's report changes about one of its node's tasks: the next record and the events saying so; undefined when nothing. */
function taskUpdate(
  task: TaskRecord,
  r: SyncRequest__Output['tasks'][number] | undefined,
  nodeId: string,
): { task: TaskRecord; next: TaskRecord; events: [reason: string, message: string][] } | undefined {
  const now = new Date().toISOString();
  if (task.state === 'stopping') {
    // The agent retires tasks that are no longer assigned; once it stops reporting one, it is gone.
    // The agent reports every task it runs, holds volumes for, or has been told to run (feature
    // PREPARES_TASKS): one it does not report is not about to start either.
    return !r && !task.stopped ? { task, next: { ...task, stopped: true, updatedAt: now }, events: [] } : undefined;
  }
  if (!r || Number(r.generation) !== task.generation) return undefined;
  if (task.state === 'placed') {
    // Handed out early (its volumes are the agent's to create): what went wrong is shown, the state stays.
    return r.state === 'failed' && r.message && r.message !== task.message
      ? { task, next: { ...task, message: r.message, updatedAt: now }, events: [['Failed', r.message]] }
      : undefined;
  }
  // A `preparing` report (a task the agent is about to start) knows no restart count: keep the record's.
  const next: TaskRecord = { ...task, updatedAt: now, restarts: r.state === 'preparing' ? task.restarts : r.restarts };
  let healthEvents: [string, string][] = [];
  if (task.state === 'assigned' || task.state === 'running' || task.state === 'failed') {
    next.state = r.state === 'running' ? 'running' : r.state === 'failed' ? 'failed' : task.state;
    next.message = r.message || undefined;
    if (r.exitCode) next.exitCode = r.exitCode;
    healthEvents = applyHealth(task, next, r);
    applyContainerAddress(next, r);
  }
  if (
    next.state === task.state &&
    next.restarts === task.restarts &&
    next.message === task.message &&
    !healthChanged(task, next) &&
    next.containerAddress === task.containerAddress
  )
    return undefined;
  const events: [string, string][] = [];
  if (next.restarts > task.restarts) events.push(['Restarted', `task exited (code ${r.exitCode}) and was restarted on ${nodeId} with the same volumes`]);
  if (next.state !== task.state) events.push([next.state === 'running' ? 'Running' : 'Failed', next.message ?? `task is ${next.state} on ${nodeId}`]);
  // What the agent had to do to start a running task (e.g. stop processes left by its previous run) is an event too, not only its message.
  else if (next.state === 'running' && next.message && next.message !== task.message) events.push(['Notice', next.message]);
  events.push(...healthEvents);
  return { task, next, events };
}
