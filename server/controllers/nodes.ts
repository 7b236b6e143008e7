import { staticHolderId } from '../../core/reservations';
import type { ClusterContext } from '../cluster-context';
import { isVolumeRole, volumeRole } from '../store/naming';

/** Marks nodes down when their agent stopped syncing; their pinned tasks wait with the reason. */
export function checkNodes(ctx: ClusterContext): void {
  const { store } = ctx;
  const now = Date.now();
  const nodes = store.nodes.list();
  const downAfterMs = ctx.liveness.downAfterMs(ctx.options.nodeDownAfterMs, nodes.length);
  for (const node of nodes) {
    const lastSyncMs = ctx.liveness.lastSyncMs(node);
    if (node.state === 'ready' && now - lastSyncMs > downAfterMs) {
      store.nodes.put(node.id, { ...node, state: 'down' });
      ctx.event(`node/${node.id}`, 'NodeDown', `no sync from node ${node.id} for ${Math.round((now - lastSyncMs) / 1000)}s`);
      for (const task of store.tasks.where('node', node.id).filter((t) => t.state !== 'stopping')) {
        const app = store.apps.get(task.app);
        const message = `node ${node.id} is down; ${task.id} waits for it (onNodeLost: ${app?.spec.onNodeLost ?? 'wait'}): its volumes live there`;
        store.tasks.put(task.id, { ...task, message, updatedAt: new Date().toISOString() });
        ctx.event(`task/${task.id}`, 'NodeLost', message);
      }
    }
  }
}

/** Releases reservations whose task or volume no longer exists (left by a crash between two steps). */
export async function releaseOrphans(ctx: ClusterContext): Promise<void> {
  const { store } = ctx;
  const released = await ctx.ledger.releaseOrphans(new Set(store.tasks.list().map((t) => t.id)));
  const volumeHolders = new Set(store.volumes.list().flatMap((v) => (v.nodeId ? [staticHolderId(v.nodeId, volumeRole(v.id))] : [])));
  for (const r of await ctx.ledger.list()) {
    // Other static roles belong to the operator.
    if (r.kind === 'static' && isVolumeRole(r.role) && !volumeHolders.has(r.holderId)) {
      await ctx.ledger.release(r.holderId);
      released.push(r);
    }
  }
  for (const r of released) ctx.event(`node/${r.nodeId}`, 'OrphanReleased', `released orphaned reservation ${r.holderId}`);
}
