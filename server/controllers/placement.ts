import { classPool } from '../../core/manifests';
import type { ClaimRequest, DataSourcePin, NodeInfo, TaskRequest } from '../../core/domain';
import { formatHostPorts, poolKey } from '../../core/domain';
import type { ClusterContext } from '../cluster-context';
import { nodeCapacity, RUNTIME_LABEL } from '../agents/node-sync';
import { pluginTraits } from '../agents/plugin-traits';
import { TimeSlice } from './runtime/time-slice';
import { checkTransition } from './volume-lifecycle';
import { claimIdOf } from '../store/naming';
import type { ClaimRecord, NodeRecord, TaskRecord, VolumeRecord } from '../store/records';

/** A node as the scheduler sees it, from its last agent report. */
export function nodeInfoOf(ctx: ClusterContext, stored: NodeRecord): NodeInfo {
  const node = ctx.liveness.live(stored);
  const capacity = nodeCapacity(ctx, stored);
  return {
    id: node.id,
    zone: node.labels.zone ?? 'default',
    ready: node.state === 'ready',
    labels: node.labels,
    cpuMillis: capacity.cpuMillis,
    memoryBytes: capacity.memoryBytes,
    pools: node.plugins.flatMap((p) =>
      p.pools.map((pool) => ({
        plugin: p.name,
        pool: pool.name,
        capacityBytes: capacity.poolBytes.get(poolKey(p.name, pool.name)) ?? 0,
        healthy: p.healthy,
      })),
    ),
    plugins: node.plugins.map((p) => ({ plugin: p.name, healthy: p.healthy, maxVolumesPerNode: Number(p.maxVolumes) || undefined })),
  };
}

/**
 * The node a bound volume pins its task to: a volume's accessible topology names the nodes that can
 * reach it; when exactly one node's plugin reports matching segments, the data lives only there.
 */
export function pinnedNode(ctx: ClusterContext, volume: VolumeRecord): string | undefined {
  if (volume.nodeId) return volume.nodeId;
  // Still being created (or its creation unconfirmed) on a node-local plugin: it can only be there.
  if (volume.state === 'creating' && volume.intentNodeId && isNodeLocal(ctx, volume.intentNodeId, volume.plugin)) return volume.intentNodeId;
  const keys = Object.entries(volume.topology);
  if (keys.length === 0) return undefined;
  const matches = ctx.store.nodes.list().filter((n) => {
    const seg = n.plugins.find((p) => p.name === volume.plugin)?.topology ?? {};
    return keys.every(([k, v]) => seg[k] === v);
  });
  return matches.length === 1 ? matches[0].id : undefined;
}

/**
 * The node holding the snapshot or volume a claim is to be made from, when that source is node-local
 * (a berth.local snapshot exists in one node's pool only, and only that node's plugin can copy it).
 * Undefined for sources any node can use (network storage) and for backups (restored into an empty volume).
 */
export function dataSourcePin(ctx: ClusterContext, claim: ClaimRecord): DataSourcePin | undefined {
  const source = claim.dataSource;
  if (!source || source.kind === 'backup') return undefined;
  const { store } = ctx;
  if (source.kind === 'volume') {
    const volume = store.volumes.get(source.id);
    const nodeId = volume ? pinnedNode(ctx, volume) : undefined;
    return nodeId ? { kind: 'volume', id: source.id, nodeId } : undefined;
  }
  for (const rp of store.recoveryPoints.list()) {
    const snap = rp.snapshots.find((s) => s.csiSnapshotId === source.id);
    if (!snap) continue;
    const volume = store.volumes.get(snap.sourceVolumeId);
    // The source volume may be gone (restoring a deleted app): the snapshot stays where its controller took it.
    const nodeId = volume ? pinnedNode(ctx, volume) : snap.nodeId && isNodeLocal(ctx, snap.nodeId, snap.plugin) ? snap.nodeId : undefined;
    return nodeId ? { kind: 'snapshot', id: source.id, nodeId } : undefined;
  }
  return undefined;
}

/** The plugin reports a topology on the node: its storage is that node's own. */
function isNodeLocal(ctx: ClusterContext, nodeId: string, plugin: string): boolean {
  const report = ctx.store.nodes.get(nodeId)?.plugins.find((p) => p.name === plugin);
  return report !== undefined && pluginTraits(report).nodeLocal;
}

export function taskRequestOf(ctx: ClusterContext, task: TaskRecord): TaskRequest | string {
  const { store } = ctx;
  const app = store.apps.get(task.app);
  if (!app) return `app ${task.app} is gone`;
  const claims: ClaimRequest[] = [];
  for (const tpl of app.spec.volumes) {
    const claim = store.claims.get(claimIdOf(app.name, tpl.name, task.instance));
    if (!claim) return `claim for volume ${tpl.name} is not created yet`;
    const sc = store.storageClasses.get(claim.storageClass);
    if (!sc) return `storage class ${claim.storageClass} does not exist`;
    const volume = claim.volumeId ? store.volumes.get(claim.volumeId) : undefined;
    // Immediate binding decides the volume's node first; the task follows once the volume exists.
    if (sc.spec.bindingMode === 'Immediate' && claim.state !== 'bound') return `waiting for volume ${tpl.name} (Immediate binding) to be provisioned`;
    const source = volume ? undefined : dataSourcePin(ctx, claim);
    claims.push({
      claimId: claim.id,
      storageClass: claim.storageClass,
      plugin: sc.spec.plugin,
      pool: classPool(sc.spec),
      sizeBytes: claim.sizeBytes,
      accessMode: claim.accessMode as ClaimRequest['accessMode'],
      ...(volume ? { bound: { volumeId: volume.id, nodeId: pinnedNode(ctx, volume) } } : {}),
      ...(source ? { source } : {}),
    });
  }
  return {
    taskId: task.id,
    app: app.name,
    instance: task.instance,
    cpuMillis: app.spec.resources.cpuMillis,
    memoryBytes: app.spec.resources.memoryBytes,
    claims,
    constraints: [...app.spec.constraints, { key: RUNTIME_LABEL, operator: 'In', values: [app.spec.runtime] }],
    ...(app.spec.ports ? { ports: app.spec.ports.map((p) => (p.hostPort !== undefined ? { name: p.name, hostPort: p.hostPort } : { name: p.name })) } : {}),
    ...(task.nodeId && task.hostPorts?.length ? { previousPorts: { nodeId: task.nodeId, ports: task.hostPorts } } : {}),
  };
}

/**
 * Places every pending task: scheduler pipeline, then the ledger reservation (done by the scheduler).
 * Outcomes are written in one transaction per time slice rather than one per task: placing a thousand
 * tasks costs a few commits, not a thousand (a crash before one loses only in-memory reservations,
 * rebuilt at start). Between slices the pass lets the event loop run, so ten thousand pending tasks do
 * not keep the API from answering; each write checks the task is still pending, as it may have moved meanwhile.
 */
export async function placePending(ctx: ClusterContext): Promise<void> {
  const { store } = ctx;
  const pending = store.tasks.where('state', 'pending');
  if (pending.length === 0) return;
  const nodes = store.nodes.list().map((n) => nodeInfoOf(ctx, n));
  const pass = await ctx.scheduler.beginPass(nodes);
  const slice = new TimeSlice();
  let writes: (() => void)[] = [];
  const flush = () => {
    const batch = writes;
    writes = [];
    if (batch.length === 0) return;
    store.transaction(() => {
      for (const write of batch) write();
    });
  };
  for (const task of pending) {
    // One transaction per slice, not per batch of a fixed size: every commit wakes the agents whose
    // answers changed, so fewer, larger commits mean fewer Sync round trips for the same placements.
    if (slice.due()) {
      flush();
      await slice.yield();
    }
    const request = taskRequestOf(ctx, task);
    const now = new Date().toISOString();
    if (typeof request === 'string') {
      writes.push(() => {
        const current = store.tasks.get(task.id);
        if (current?.state === 'pending' && current.message !== request) store.tasks.put(task.id, { ...current, message: request, updatedAt: now });
      });
      continue;
    }
    const result = await pass.place(request);
    writes.push(() => {
      const current = store.tasks.get(task.id);
      if (!current || current.state !== 'pending') return;
      if (result.kind === 'placed') {
        checkTransition(ctx.log, 'task', task.id, current.state, 'placed');
        const hostPorts = result.reservation.amounts.hostPorts;
        store.tasks.put(task.id, {
          ...current,
          state: 'placed',
          nodeId: result.nodeId,
          hostPorts: hostPorts?.length ? [...hostPorts] : undefined,
          message: undefined,
          rejections: undefined,
          updatedAt: now,
        });
        const ports = hostPorts?.length ? ` with host ports ${formatHostPorts(hostPorts)}` : '';
        ctx.event(`task/${task.id}`, 'Placed', `placed on node ${result.nodeId}${ports}`);
      } else {
        const rejections = result.rejections.map((r) => ({ nodeId: r.nodeId, reason: r.reason, message: r.message }));
        // Still pending for the same reasons: nothing to write (a pass over 10,000 waiting tasks writes none of them).
        if (current.message === result.summary && JSON.stringify(current.rejections) === JSON.stringify(rejections)) return;
        if (current.message !== result.summary) ctx.event(`task/${task.id}`, 'Pending', result.summary);
        store.tasks.put(task.id, { ...current, message: result.summary, rejections, updatedAt: now });
      }
    });
  }
  flush();
}
