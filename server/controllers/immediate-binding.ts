import { classPool } from '../../core/manifests';
import type { ClusterContext } from '../cluster-context';
import { csiNameOf, newVolumeId, volumeRole } from '../store/naming';
import { nodeCapacity } from '../agents/node-sync';
import { pluginTraits } from '../agents/plugin-traits';
import { checkTransition } from './volume-lifecycle';
import { Controller } from './runtime/controller';
import type { ClaimRecord, NodeRecord, VolumeRecord } from '../store/records';
import { dataSourcePin } from './placement';
import { provisionClaim } from './provisioning';
import { poolKey } from '../../core/domain';

/**
 * Immediate binding: a claim whose storage class says `bindingMode: Immediate` gets its volume as soon
 * as it exists, before its instance is placed (the instance then follows the volume to its node). For
 * node-local storage the node is chosen here: among ready nodes reporting the plugin, the largest pool
 * first whose ledger accepts the bytes — reserved in the ledger before the volume's intent is written, so two claims
 * never both count on the same free space. Shared storage (no topology) has no node to choose.
 */
export function immediateBindingController(ctx: ClusterContext): Controller {
  const { store } = ctx;
  // Its class binds at once (WaitForFirstConsumer claims are provisioning's, after placement).
  const immediate = (claim: ClaimRecord) => store.storageClasses.get(claim.storageClass)?.spec.bindingMode === 'Immediate';
  const controller: Controller = new Controller({
    name: 'immediate-binding',
    registry: ctx.controllers,
    store,
    log: ctx.log,
    kinds: ['claim', 'storageclass', 'app', 'node'],
    keysOf: (change) => {
      switch (change.kind) {
        case 'claim':
          return change.after && unbound(change.after) && immediate(change.after) ? [change.id] : [];
        case 'storageclass':
          return change.after?.spec.bindingMode === 'Immediate' ? store.claims.where('storageClass', change.id).map((c) => c.id) : [];
        case 'app':
          return store.claims
            .where('app', change.id)
            .filter((c) => unbound(c) && immediate(c))
            .map((c) => c.id);
        case 'node':
          // A node that came, went or changed its plugins may be where a waiting claim fits now.
          return waitingClaims(ctx);
        default:
          return [];
      }
    },
    sync: async (claimId) => {
      const waiting = await bindIfImmediate(ctx, claimId);
      // Room or a node may appear without any record this controller watches changing (a pool's free
      // figure lives in memory): look again after a while, as the old pass did.
      if (waiting) controller.enqueueAfter(claimId, WAITING_RETRY_MS);
    },
  });
  return controller;
}

/** How often a claim waiting for room or a node is looked at again when nothing it watches changed. */
const WAITING_RETRY_MS = 5_000;

/** Unbound claims of Immediate classes (few: they bind as soon as they can). */
function waitingClaims(ctx: ClusterContext): string[] {
  const { store } = ctx;
  return store.storageClasses
    .list()
    .filter((sc) => sc.spec.bindingMode === 'Immediate')
    .flatMap((sc) => store.claims.where('storageClass', sc.name))
    .filter(unbound)
    .map((c) => c.id);
}

/** A claim that still needs a volume (not one that has or had one: bound, retained, releasing, lost). */
function unbound(claim: ClaimRecord): boolean {
  return claim.state === 'pending' || claim.state === 'provisioning';
}

/** Binds the claim if its class says Immediate; true when it must wait (no room, no node). */
async function bindIfImmediate(ctx: ClusterContext, claimId: string): Promise<boolean> {
  const { store } = ctx;
  const claim = store.claims.get(claimId);
  if (!claim || !unbound(claim)) return false;
  if (store.storageClasses.get(claim.storageClass)?.spec.bindingMode !== 'Immediate') return false;
  const app = store.apps.get(claim.app);
  if (!app || app.deleting) return false;
  try {
    return await bindOne(ctx, claim.id);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    noteWaiting(ctx, claim.id, 'ProvisioningFailed', message);
    throw error;
  }
}

/** Records why a claim waits, once per distinct message, not every pass. */
function noteWaiting(ctx: ClusterContext, claimId: string, reason: string, message: string): void {
  const { lastWaiting } = ctx.memory;
  if (lastWaiting.get(claimId) === message) return;
  lastWaiting.set(claimId, message);
  ctx.event(`claim/${claimId}`, reason, message);
}

/** True when the claim must wait (recorded in an event once per distinct reason). */
async function bindOne(ctx: ClusterContext, claimId: string): Promise<boolean> {
  const { store } = ctx;
  const claim = store.claims.get(claimId);
  const sc = claim ? store.storageClasses.get(claim.storageClass) : undefined;
  if (!claim || !sc || !unbound(claim)) return false;
  let volume = claim.volumeId ? store.volumes.get(claim.volumeId) : undefined;
  let node = volume?.nodeId ? store.nodes.get(volume.nodeId) : undefined;
  if (!volume) {
    const chosen = await chooseAndReserve(ctx, claim, sc.spec.plugin, classPool(sc.spec));
    if (typeof chosen === 'string') {
      noteWaiting(ctx, claim.id, 'WaitingForRoom', chosen);
      return true;
    }
    volume = chosen.volume;
    node = chosen.node;
  }
  // Shared storage: any ready node reporting the plugin can carry the controller call.
  node ??= store.nodes.list().find((n) => n.state === 'ready' && n.plugins.some((p) => p.name === sc.spec.plugin && p.healthy));
  if (!node) {
    noteWaiting(ctx, claim.id, 'WaitingForNode', `no ready node reports CSI plugin ${sc.spec.plugin}`);
    return true;
  }
  await provisionClaim(ctx, undefined, store.claims.get(claim.id)!, node);
  ctx.memory.lastWaiting.delete(claim.id);
  // Not bound yet (the plugin failed, and said so in an event): another try later.
  return store.claims.get(claim.id)?.state !== 'bound';
}

/**
 * Picks the node and pool for a node-local volume and reserves its bytes, then writes the volume's
 * intent. Answers why not when no node can hold it.
 */
async function chooseAndReserve(
  ctx: ClusterContext,
  claim: ClaimRecord,
  plugin: string,
  wantedPool: string | undefined,
): Promise<{ volume: VolumeRecord; node: NodeRecord | undefined } | string> {
  const { store } = ctx;
  // A volume made from a node-local snapshot or volume can only be made where that source is.
  const source = dataSourcePin(ctx, claim);
  const candidates = store.nodes
    .list()
    .filter((n) => n.state === 'ready' && (!source || n.id === source.nodeId))
    .flatMap((n) => n.plugins.filter((p) => p.name === plugin && p.healthy && pluginTraits(p).createsVolumes).map((p) => ({ node: n, report: p })));
  if (candidates.length === 0) {
    return source
      ? `the ${source.kind} ${source.id} this volume is made from lives on node ${source.nodeId}, which is not ready or lacks a healthy ${plugin}`
      : `no ready node reports a healthy CSI plugin ${plugin} that can create volumes`;
  }
  const id = newVolumeId();
  const intent = (node: NodeRecord | undefined, pool: string | undefined): VolumeRecord => ({
    id,
    plugin,
    csiName: csiNameOf(claim.id),
    claimId: claim.id,
    nodeId: node?.id,
    intentNodeId: node?.id,
    pool,
    capacityBytes: claim.sizeBytes,
    topology: {},
    volumeContext: {},
    state: 'creating',
    createdAt: new Date().toISOString(),
  });
  const write = (v: VolumeRecord) =>
    store.transaction(() => {
      // Gone meanwhile is not expected here (the put below recreates it as before): the check logs it.
      const current = store.claims.get(claim.id);
      checkTransition(ctx.log, 'volume', v.id, null, v.state);
      checkTransition(ctx.log, 'claim', claim.id, current?.state ?? null, 'provisioning');
      store.volumes.put(v.id, v);
      store.claims.put(claim.id, { ...current!, volumeId: v.id, state: 'provisioning' });
    });
  // Storage without topology is not one node's pool: nothing to choose or reserve per node.
  if (candidates.every((c) => !pluginTraits(c.report).nodeLocal)) {
    const v = intent(undefined, wantedPool);
    write(v);
    return { volume: v, node: undefined };
  }
  const free = (c: (typeof candidates)[number], pool: string) => nodeCapacity(ctx, c.node).poolBytes.get(poolKey(plugin, pool)) ?? 0;
  const options = candidates
    .map((c) => ({ ...c, pool: wantedPool ?? c.report.pools[0]?.name }))
    .filter((c): c is typeof c & { pool: string } => c.pool !== undefined && c.report.pools.some((p) => p.name === c.pool))
    .sort((a, b) => free(b, b.pool) - free(a, a.pool));
  const refusals: string[] = [];
  for (const c of options) {
    const held = await ctx.ledger.reserveStatic(c.node.id, volumeRole(id), {
      cpuMillis: 0,
      memoryBytes: 0,
      attachments: [],
      pools: [{ plugin, pool: c.pool, bytes: claim.sizeBytes }],
    });
    if (held.status === 'reserved' || held.status === 'already-reserved') {
      const v = intent(c.node, c.pool);
      try {
        write(v);
      } catch (error) {
        await ctx.ledger.releaseStatic(c.node.id, volumeRole(id));
        throw error;
      }
      ctx.event(`claim/${claim.id}`, 'NodeChosen', `Immediate binding: volume ${id} goes to pool ${c.pool} on node ${c.node.id}`);
      return { volume: v, node: c.node };
    }
    refusals.push(`${c.node.id}: pool ${c.pool} has no room for ${claim.sizeBytes} bytes`);
  }
  if (options.length === 0) return `no ready node has pool ${wantedPool ?? '(any)'} of CSI plugin ${plugin}`;
  return `no node can hold ${claim.sizeBytes} bytes now (${refusals.join('; ')})`;
}
