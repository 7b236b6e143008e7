import type { ClusterContext } from '../cluster-context';
import { claimIdOf, volumeRole } from '../store/naming';
import { mustDeleteOnReclaim } from './data-restore';
import type { ClaimRecord, NodeRecord, TaskRecord, VolumeRecord } from '../store/records';
import { createVolumeRequest } from './provisioning';
import { CsiCallError } from '../../volumes/csi-client/errors';
import { secretData } from '../store/secrets';
import { checkTransition } from './volume-lifecycle';
import { Controller } from './runtime/controller';
import { isRetained } from './apps';

/**
 * Finishes what deletes and scale-downs started, in the safe order, as two controllers:
 * - task removal (key: task id): a stopping task is forgotten only after its agent stopped it (or its
 *   node is gone); its reservation is released with it;
 * - reclaim (key: claim id): a claim no instance needs any more gives its volume back per the storage
 *   class's reclaim policy (Delete: the volume is deleted through CSI; Retain: it is kept, unbound).
 * A step that fails is retried by the work queue with a back-off; each distinct failure is one event.
 * The app being deleted goes last (apps.ts), once its tasks and claims are gone.
 */
export function taskRemovalController(ctx: ClusterContext): Controller {
  const { store } = ctx;
  return new Controller({
    name: 'task-removal',
    registry: ctx.controllers,
    store,
    log: ctx.log,
    kinds: ['task', 'node'],
    keysOf: (change) => {
      if (change.kind === 'task') return change.after?.state === 'stopping' ? [change.id] : [];
      // A node removed from the cluster will never report its tasks stopped: they go without its word.
      if (change.kind === 'node' && !change.after) return store.tasks.where('node', change.id).map((t) => t.id);
      return [];
    },
    sync: (taskId) => removeStoppedTask(ctx, taskId),
  });
}

async function removeStoppedTask(ctx: ClusterContext, taskId: string): Promise<void> {
  const { store } = ctx;
  const task = store.tasks.get(taskId);
  if (!task || task.state !== 'stopping') return;
  // Only the node's own word ends a task: a node that is merely silent (partition, agent restart) may
  // still run it and hold its volumes, so its claims must not be reclaimed yet.
  const node = task.nodeId ? store.nodes.get(task.nodeId) : undefined;
  if (!task.stopped && node) return;
  if (node) await detachFromNode(ctx, task, node);
  // Scaled up again while the detach ran: the task is wanted after all (apps.ts started it again).
  if (store.tasks.get(taskId)?.state !== 'stopping') return;
  await ctx.ledger.release(task.id);
  store.transaction(() => {
    checkTransition(ctx.log, 'task', task.id, store.tasks.get(task.id)?.state ?? task.state, null);
    store.tasks.delete(task.id);
    ctx.event(`task/${task.id}`, 'Removed', 'task stopped and removed');
  });
  ctx.memory.lastFailure.delete(task.id);
}

export function reclaimController(ctx: ClusterContext): Controller {
  const { store } = ctx;
  return new Controller({
    name: 'reclaim',
    registry: ctx.controllers,
    store,
    log: ctx.log,
    kinds: ['claim', 'app', 'task', 'restore'],
    keysOf: (change) => {
      switch (change.kind) {
        case 'claim':
          return change.after && !wanted(ctx, change.after) ? [change.id] : [];
        case 'app': {
          // Only fewer instances, a delete or its start free claims (a new generation or more instances do not).
          const { before, after } = change;
          const freed = !after || !before || after.deleting !== before.deleting || after.spec.instances < before.spec.instances;
          return freed ? store.claims.where('app', change.id).map((c) => c.id) : [];
        }
        case 'task': {
          // The instance's task gone: its claims may be free now.
          if (change.after || !change.before) return [];
          const gone = change.before;
          return store.claims
            .where('app', gone.app)
            .filter((c) => c.instance === gone.instance)
            .map((c) => c.id);
        }
        case 'restore':
          // A restore rolling back decides the reclaim policy of its claims (mustDeleteOnReclaim).
          return change.after ? store.claims.where('app', change.after.app).map((c) => c.id) : [];
        default:
          return [];
      }
    },
    sync: (claimId) => reclaimIfUnwanted(ctx, claimId),
  });
}

/** An instance of a live app wants the claim, or it is kept after a scale-down and not let go. */
function wanted(ctx: ClusterContext, claim: ClaimRecord): boolean {
  const app = ctx.store.apps.get(claim.app);
  return app !== undefined && !app.deleting && claim.state !== 'releasing' && (claim.instance < app.spec.instances || isRetained(claim));
}

async function reclaimIfUnwanted(ctx: ClusterContext, claimId: string): Promise<void> {
  const { store } = ctx;
  const claim = store.claims.get(claimId);
  if (!claim) return;
  if (wanted(ctx, claim)) return;
  if (store.tasks.where('app', claim.app).some((t) => t.instance === claim.instance)) return;
  try {
    await reclaim(ctx, claim);
    ctx.memory.lastFailure.delete(claim.id);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Retried with a back-off: record a failure once per distinct message.
    const { lastFailure } = ctx.memory;
    if (lastFailure.get(claim.id) !== message) ctx.event(`claim/${claim.id}`, 'ReclaimFailed', message);
    lastFailure.set(claim.id, message);
    throw error;
  }
}

/**
 * ControllerUnpublishVolume for the volumes a stopped task had on its node (plugins that attach at the
 * controller: iSCSI ACLs, cloud disks), unless another task there still uses them. A retained claim
 * must not keep its grant to a node that no longer runs it. A failed call throws (retried with a back-off).
 */
async function detachFromNode(ctx: ClusterContext, task: TaskRecord, node: NodeRecord): Promise<void> {
  const { store } = ctx;
  const spec = task.spec ?? store.apps.get(task.app)?.spec;
  for (const tpl of spec?.volumes ?? []) {
    const claim = store.claims.get(claimIdOf(task.app, tpl.name, task.instance));
    const volume = claim?.volumeId ? store.volumes.get(claim.volumeId) : undefined;
    if (!claim || !volume?.csiVolumeId || !volume.published?.[node.id]) continue;
    const csiNodeId = node.plugins.find((p) => p.name === volume.plugin)?.csiNodeId ?? node.id;
    try {
      const secrets = secretData(store, store.storageClasses.get(claim.storageClass)?.spec.publishSecret);
      await ctx.controllerFor(volume.plugin, node).controller('ControllerUnpublishVolume', { volumeId: volume.csiVolumeId, nodeId: csiNodeId, secrets });
    } catch (error) {
      const message = `ControllerUnpublishVolume of ${volume.id} from ${node.id}: ${error instanceof Error ? error.message : String(error)}`;
      const { lastFailure } = ctx.memory;
      if (lastFailure.get(task.id) !== message) ctx.event(`task/${task.id}`, 'DetachFailed', message);
      lastFailure.set(task.id, message);
      throw error;
    }
    const { [node.id]: _gone, ...rest } = volume.published;
    store.volumes.put(volume.id, { ...volume, published: rest });
  }
}

/** The CSI id of a volume whose create may have happened without being recorded; undefined when there is no way to ask. */
async function volumeCreatedByIntent(ctx: ClusterContext, claim: ClaimRecord, volume: VolumeRecord): Promise<string | undefined> {
  const node = volume.intentNodeId ? ctx.store.nodes.get(volume.intentNodeId) : undefined;
  if (!node) return undefined; // an intent from before intents named their node, or a node that is gone
  try {
    const res = await ctx.controllerFor(volume.plugin, node).controller('CreateVolume', createVolumeRequest(ctx, claim, volume, node));
    return res.volume?.volumeId;
  } catch (error) {
    // The plugin refusing to create it (no room, source gone, bad arguments) means no such volume exists;
    // only a transient failure (unreachable, busy) is retried by the next pass.
    if (error instanceof CsiCallError && !error.retryable) return undefined;
    throw error;
  }
}

async function reclaim(ctx: ClusterContext, claim: ClaimRecord): Promise<void> {
  const { store } = ctx;
  const volume = claim.volumeId ? store.volumes.get(claim.volumeId) : undefined;
  const policy = mustDeleteOnReclaim(ctx, claim) ? 'Delete' : (store.storageClasses.get(claim.storageClass)?.spec.reclaimPolicy ?? 'Retain');
  if (volume && policy === 'Delete') {
    if (volume.csiVolumeId || volume.state === 'creating' || volume.state === 'deleting') {
      checkTransition(ctx.log, 'volume', volume.id, volume.state, 'deleting');
      store.volumes.put(volume.id, { ...volume, state: 'deleting' });
      // Never created as far as the records know — but the plugin may have done it just before a crash:
      // the same CreateVolume request (same name) returns that volume, which is then deleted.
      const csiVolumeId = volume.csiVolumeId ?? (await volumeCreatedByIntent(ctx, claim, volume));
      if (csiVolumeId && !volume.csiVolumeId) store.volumes.put(volume.id, { ...volume, csiVolumeId, state: 'deleting' });
      await deleteThroughCsi(ctx, { ...volume, csiVolumeId }, claim.storageClass);
    }
    await forgetVolume(ctx, volume);
    ctx.event(`claim/${claim.id}`, 'VolumeDeleted', `volume ${volume.id} deleted (reclaim policy Delete)`);
  } else if (volume) {
    checkTransition(ctx.log, 'volume', volume.id, volume.state, 'released');
    store.volumes.put(volume.id, { ...volume, claimId: undefined, state: 'released', storageClass: claim.storageClass });
    ctx.event(`claim/${claim.id}`, 'VolumeRetained', `volume ${volume.id} kept (reclaim policy Retain); its space stays reserved`);
  }
  checkTransition(ctx.log, 'claim', claim.id, claim.state, null);
  store.claims.delete(claim.id);
}

/** ControllerUnpublishVolume from every node it is published to, then DeleteVolume (nothing to call without a CSI id). */
async function deleteThroughCsi(ctx: ClusterContext, volume: VolumeRecord, storageClass: string | undefined): Promise<void> {
  const { store } = ctx;
  const node = volume.nodeId ? store.nodes.get(volume.nodeId) : store.nodes.list().find((n) => n.plugins.some((p) => p.name === volume.plugin));
  const client = ctx.controllerFor(volume.plugin, node);
  const sc = storageClass ? store.storageClasses.get(storageClass)?.spec : undefined;
  for (const [nodeId] of Object.entries(volume.published ?? {})) {
    const csiNodeId = store.nodes.get(nodeId)?.plugins.find((p) => p.name === volume.plugin)?.csiNodeId ?? nodeId;
    await client.controller('ControllerUnpublishVolume', {
      volumeId: volume.csiVolumeId ?? '',
      nodeId: csiNodeId,
      secrets: secretData(store, sc?.publishSecret),
    });
  }
  if (volume.csiVolumeId) await client.controller('DeleteVolume', { volumeId: volume.csiVolumeId, secrets: secretData(store, sc?.provisionerSecret) });
}

/** The volume's record goes, and the pool bytes its reservation held with it. */
async function forgetVolume(ctx: ClusterContext, volume: VolumeRecord): Promise<void> {
  const { store } = ctx;
  if (volume.nodeId) await ctx.ledger.releaseStatic(volume.nodeId, volumeRole(volume.id));
  checkTransition(ctx.log, 'volume', volume.id, store.volumes.get(volume.id)?.state ?? volume.state, null);
  store.volumes.delete(volume.id);
}

/**
 * Released volumes the user let go (`berth delete volume`: state `deleting` with no claim; key: volume
 * id): deleted through CSI with the secrets of the class they were made by, then forgotten with their
 * reservation. A failure is retried with a back-off and recorded once per distinct message.
 */
export function releasedVolumeController(ctx: ClusterContext): Controller {
  const { store } = ctx;
  return new Controller({
    name: 'released-volumes',
    registry: ctx.controllers,
    store,
    log: ctx.log,
    kinds: ['volume'],
    keysOf: (change) => (change.kind === 'volume' && change.after?.state === 'deleting' && !change.after.claimId ? [change.id] : []),
    sync: async (volumeId) => {
      const volume = store.volumes.get(volumeId);
      if (!volume || volume.state !== 'deleting' || volume.claimId) return;
      try {
        await deleteThroughCsi(ctx, volume, volume.storageClass);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const { lastFailure } = ctx.memory;
        if (lastFailure.get(volumeId) !== message) ctx.event(`volume/${volumeId}`, 'DeleteFailed', message);
        lastFailure.set(volumeId, message);
        throw error;
      }
      ctx.memory.lastFailure.delete(volumeId);
      await forgetVolume(ctx, volume);
      ctx.event(
        `volume/${volumeId}`,
        'Deleted',
        volume.csiVolumeId
          ? `volume ${volumeId} deleted (${volume.plugin} ${volume.csiVolumeId})`
          : `volume ${volumeId} forgotten (never created by ${volume.plugin})`,
      );
    },
  });
}
