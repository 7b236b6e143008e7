import type { PluginCount, PoolAmount } from '../core/domain';
import type { ClusterContext } from './cluster-context';
import { claimIdOf, volumeRole } from './naming';
import { nodeCapacity } from './node-sync';

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
    await ledger.reserveStatic(v.nodeId, volumeRole(v.id), { cpuMillis: 0, memoryBytes: 0, attachments: [],
      pools: [{ plugin: v.plugin, pool: v.pool, bytes: v.capacityBytes }] });
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
      const pool = volume?.pool ?? sc.spec.parameters.pool;
      if (pool) pools.push({ plugin: sc.spec.plugin, pool, bytes: claim.sizeBytes, claimId: claim.id });
    }
    const counts: PluginCount[] = [...attachments].map(([plugin, count]) => ({ plugin, count }));
    const outcome = await ledger.reserve({ holderId: task.id, nodeId: task.nodeId, replaceExisting: true,
      amounts: { cpuMillis: app.spec.resources.cpuMillis, memoryBytes: app.spec.resources.memoryBytes, pools, attachments: counts } });
    if (outcome.status === 'insufficient') ctx.log.warn({ task: task.id, node: task.nodeId }, 'ledger rebuild: task no longer fits its node');
  }
}
