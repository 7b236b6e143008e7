import { classPool } from '../../core/manifests';
import { describeShortfall, formatBytes, formatCpu } from '../../core/domain';
import type { PluginCount, PoolAmount } from '../../core/domain';
import { staticHolderId, taskHolderId, type AdoptOutcome } from '../../core/reservations';
import type { ClusterContext } from '../cluster-context';
import { claimIdOf, volumeRole } from '../store/naming';
import { nodeCapacity } from '../agents/node-sync';

/**
 * Re-asserts every reservation the records imply: node capacities, each node-local volume's bytes, and
 * each placed task's CPU, memory, unbound claim bytes and attachments. Reserving is idempotent, so this is
 * safe on every start, and it makes the ledger agree with the records even after a crash between a
 * record write and its ledger write.
 */
export async function rebuildLedger(ctx: ClusterContext): Promise<void> {
  const { store, ledger } = ctx;
  for (const node of store.nodes.list()) await ledger.registerNode(node.id, nodeCapacity(ctx, node));
  for (const v of store.volumes.list()) {
    // A volume being created has a node only under Immediate binding, which reserved before creating.
    if (!v.nodeId || !v.pool || !store.nodes.get(v.nodeId)) continue;
    // The volume exists, so its bytes are taken whether or not the pool's report still covers them.
    const held = await ledger.adopt({
      holderId: staticHolderId(v.nodeId, volumeRole(v.id)),
      nodeId: v.nodeId,
      kind: 'static',
      role: volumeRole(v.id),
      amounts: { cpuMillis: 0, memoryBytes: 0, attachments: [], pools: [{ plugin: v.plugin, pool: v.pool, bytes: v.capacityBytes }] },
    });
    warnOverCapacity(ctx, `volume ${v.id}`, v.nodeId, held);
  }
  for (const task of store.tasks.list()) {
    if (!task.nodeId || task.state === 'pending' || !store.nodes.get(task.nodeId)) continue;
    const app = store.apps.get(task.app);
    if (!app) continue;
    const pools: PoolAmount[] = [];
    const attachments = new Map<string, number>();
    for (const tpl of app.spec.volumes) {
      const claim = store.claims.get(claimIdOf(app.name, tpl.name, task.instance));
      const sc = claim && store.storageClasses.get(claim.storageClass);
      if (!claim || !sc) continue;
      attachments.set(sc.spec.plugin, (attachments.get(sc.spec.plugin) ?? 0) + 1);
      const volume = claim.volumeId ? store.volumes.get(claim.volumeId) : undefined;
      if (volume?.nodeId) continue; // held by the volume's own reservation
      const pool = volume?.pool ?? classPool(sc.spec);
      if (pool) pools.push({ plugin: sc.spec.plugin, pool, bytes: claim.sizeBytes, claimId: claim.id });
    }
    const counts: PluginCount[] = [...attachments].map(([plugin, count]) => ({ plugin, count }));
    // A placed or running task holds (or is about to hold) these resources on its node: record them even
    // if the node now reports less, so the shortfall blocks new work instead of being handed out again.
    const held = await ledger.adopt({
      holderId: taskHolderId(task.id),
      nodeId: task.nodeId,
      amounts: {
        cpuMillis: app.spec.resources.cpuMillis,
        memoryBytes: app.spec.resources.memoryBytes,
        pools,
        attachments: counts,
        // The ports it was given: its address stays what clients already know.
        ...(task.hostPorts?.length ? { hostPorts: task.hostPorts } : {}),
      },
    });
    warnOverCapacity(ctx, `task ${task.id}`, task.nodeId, held);
  }
}

function warnOverCapacity(ctx: ClusterContext, holder: string, nodeId: string, held: AdoptOutcome): void {
  if (!('shortfalls' in held) || held.shortfalls.length === 0) return;
  const short = held.shortfalls.map((s) => describeShortfall(s, formatBytes, formatCpu)).join('; ');
  ctx.event(
    `node/${nodeId}`,
    'OverCapacity',
    `${holder} is recorded on node ${nodeId} beyond its capacity (${short}); no new work lands there until it frees up`,
  );
}
