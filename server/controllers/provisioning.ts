import type { ResourceAmounts } from '../../core/domain';
import { failpoint } from '../../plugins/sdk/failpoints';
import type { VolumeCapability } from '../../proto/csi/types';
import type { AccessMode } from '../../proto/csi/types';
import type { ClusterContext } from '../cluster-context';
import { claimIdOf, csiAccessMode, csiNameOf, newVolumeId, volumeRole } from '../naming';
import type { ClaimRecord, NodeRecord, TaskRecord, VolumeRecord } from '../records';
import { secretData } from '../secrets';

function capabilityOf(claim: ClaimRecord, fsType: string | undefined, mountFlags: readonly string[]): VolumeCapability {
  const accessMode = { mode: csiAccessMode(claim.accessMode) as AccessMode };
  return claim.volumeMode === 'block' ? { block: {}, accessMode } : { mount: { fsType: fsType ?? '', mountFlags: [...mountFlags] }, accessMode };
}

/**
 * Placed tasks → bound volumes → assigned. For each unbound claim: record the volume's intent (with a
 * fixed CreateVolume name), call CreateVolume on the plugin with the chosen node as the preferred and
 * required topology, then bind. A crash between intent and bind is repaired by the next pass: the same
 * name returns the same volume. When the plugin wants ControllerPublishVolume, that happens before the
 * task is handed to its agent.
 */
export async function provisionPlaced(ctx: ClusterContext): Promise<void> {
  // Each task in the background (CreateVolume may take up to its deadline): see server/background-work.ts.
  for (const task of ctx.store.tasks.list().filter((t) => t.state === 'placed')) {
    ctx.background.start(`provision/${task.id}`, async () => {
      try {
        await provisionTask(ctx, task);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const current = ctx.store.tasks.get(task.id);
        if (current && current.message !== message) {
          ctx.store.tasks.put(task.id, { ...current, message, updatedAt: new Date().toISOString() });
          ctx.event(`task/${task.id}`, 'ProvisioningFailed', message);
        }
      }
    });
  }
}

async function provisionTask(ctx: ClusterContext, task: TaskRecord): Promise<void> {
  const { store } = ctx;
  const app = store.apps.get(task.app);
  const node = task.nodeId ? store.nodes.get(task.nodeId) : undefined;
  if (!app || !node) return;
  for (const tpl of app.spec.volumes) {
    const claim = store.claims.get(claimIdOf(app.name, tpl.name, task.instance));
    if (!claim) return;
    if (!claim.volumeId || store.volumes.get(claim.volumeId)?.state === 'creating') await provisionClaim(ctx, task, claim, node);
    const bound = store.claims.get(claim.id)!;
    await controllerPublish(ctx, bound, node);
  }
  store.transaction(() => {
    const current = store.tasks.get(task.id);
    if (current?.state === 'placed') {
      store.tasks.put(task.id, { ...current, state: 'assigned', message: undefined, updatedAt: new Date().toISOString() });
      ctx.event(`task/${task.id}`, 'Assigned', `volumes ready; handed to the agent on ${node.id}`);
    }
  });
}

/**
 * Creates and binds the volume of one claim on `node`: for a placed task (WaitForFirstConsumer: the
 * claim's bytes move from the task's reservation to the volume's own), or with no task at all
 * (Immediate binding: the volume's reservation was taken before its intent was written).
 */
export async function provisionClaim(ctx: ClusterContext, task: TaskRecord | undefined, claim: ClaimRecord, node: NodeRecord): Promise<void> {
  const { store } = ctx;
  const sc = store.storageClasses.get(claim.storageClass);
  if (!sc) throw new Error(`storage class ${claim.storageClass} does not exist`);
  const plugin = node.plugins.find((p) => p.name === sc.spec.plugin);
  if (!plugin) throw new Error(`CSI plugin ${sc.spec.plugin} is not registered on node ${node.id}`);
  if (!plugin.controllerCapabilities.includes('CREATE_DELETE_VOLUME')) throw new Error(`CSI plugin ${sc.spec.plugin} cannot create volumes (no CREATE_DELETE_VOLUME)`);
  if (claim.dataSource?.kind === 'snapshot' && !plugin.controllerCapabilities.includes('CREATE_DELETE_SNAPSHOT')) {
    throw new Error(`CSI plugin ${sc.spec.plugin} does not support snapshots; claim ${claim.id} cannot be created from one`);
  }
  if (claim.dataSource?.kind === 'volume' && !plugin.controllerCapabilities.includes('CLONE_VOLUME')) {
    throw new Error(`CSI plugin ${sc.spec.plugin} cannot clone volumes; claim ${claim.id} cannot be created from one`);
  }
  const reservation = task ? (await ctx.ledger.reservationsOf([task.id])).get(task.id) : undefined;
  const poolAmount = reservation?.amounts.pools.find((p) => p.claimId === claim.id);
  const poolName = poolAmount?.pool ?? sc.spec.parameters.pool ?? plugin.pools[0]?.name;

  // 1. Intent: the volume record with its CreateVolume name exists before the plugin is called.
  let volume: VolumeRecord | undefined = claim.volumeId ? store.volumes.get(claim.volumeId) : undefined;
  if (!volume) {
    const v: VolumeRecord = {
      id: newVolumeId(), plugin: sc.spec.plugin, csiName: csiNameOf(claim.id), claimId: claim.id, nodeId: undefined, intentNodeId: node.id, pool: poolName,
      capacityBytes: claim.sizeBytes, topology: {}, volumeContext: {}, state: 'creating', createdAt: new Date().toISOString(),
    };
    store.transaction(() => {
      store.volumes.put(v.id, v);
      store.claims.put(claim.id, { ...claim, volumeId: v.id, state: 'provisioning' });
    });
    volume = v;
  }
  // 2. CreateVolume, preferring (and requiring) the node the scheduler chose.
  const res = await ctx.controllerFor(sc.spec.plugin, node).controller('CreateVolume', createVolumeRequest(ctx, claim, volume, node));
  failpoint('server-after-create-volume'); // tests: the plugin made the volume, the records do not know it yet
  const created = res.volume!;
  const segments = created.accessibleTopology[0]?.segments ?? {};
  const ready: VolumeRecord = {
    ...volume, csiVolumeId: created.volumeId, capacityBytes: Number(created.capacityBytes) || claim.sizeBytes, topology: segments,
    volumeContext: created.volumeContext, state: 'ready', readyAt: new Date().toISOString(),
    // A volume whose topology names exactly this node's segments lives here (node-local storage).
    nodeId: Object.keys(segments).length > 0 && Object.entries(segments).every(([k, v]) => plugin.topology[k] === v) ? node.id : undefined,
  };
  // 3. Bind, and move the claim's bytes from the task's reservation to the volume's own (it outlives the task).
  store.transaction(() => {
    store.volumes.put(ready.id, ready);
    store.claims.put(claim.id, { ...store.claims.get(claim.id)!, volumeId: ready.id, state: 'bound' });
  });
  // Only node-local volumes move their bytes to a reservation of their own: shared storage is not one
  // node's pool, so its claim keeps the bytes in the task's reservation.
  if (ready.nodeId && poolName) {
    const amounts: ResourceAmounts = { cpuMillis: 0, memoryBytes: 0, attachments: [], pools: [{ plugin: ready.plugin, pool: poolName, bytes: ready.capacityBytes }] };
    // One ledger transaction, so no other placement can take the bytes between the two reservations.
    const held = task && reservation && poolAmount
      ? await ctx.ledger.moveToStatic({ fromHolderId: task.id, claimId: claim.id, nodeId: node.id, role: volumeRole(ready.id), amounts })
      : await ctx.ledger.reserveStatic(node.id, volumeRole(ready.id), amounts);
    // The bytes come from the task's reservation, so this can only fail if the pool shrank under us
    // (a capacity report racing the create) or the plugin rounded the size up past the free space.
    if (held.status !== 'reserved' && held.status !== 'already-reserved') {
      ctx.event(`node/${node.id}`, 'LedgerMismatch', `could not reserve ${ready.capacityBytes} bytes for volume ${ready.id} in pool ${poolName}: ${held.status}`);
    }
  }
  ctx.event(`claim/${claim.id}`, 'Provisioned', `volume ${ready.id} (${ready.plugin} ${created.volumeId}, ${ready.capacityBytes} bytes) on ${ready.nodeId ?? 'shared storage'}`);
}

/**
 * The CreateVolume request of a claim's volume on `node` — the same every time for the same intent, so
 * a repeated call (after a crash, or to find a volume being deleted while `creating`) names the same volume.
 */
export function createVolumeRequest(ctx: ClusterContext, claim: ClaimRecord, volume: VolumeRecord, node: NodeRecord) {
  const { store } = ctx;
  const sc = store.storageClasses.get(claim.storageClass);
  if (!sc) throw new Error(`storage class ${claim.storageClass} does not exist`);
  const plugin = node.plugins.find((p) => p.name === sc.spec.plugin);
  if (!plugin) throw new Error(`CSI plugin ${sc.spec.plugin} is not registered on node ${node.id}`);
  const pool = plugin.pools.find((p) => p.name === volume.pool);
  const topology = { segments: plugin.topology };
  return {
    name: volume.csiName,
    capacityRange: { requiredBytes: String(claim.sizeBytes) },
    volumeCapabilities: [capabilityOf(claim, sc.spec.fsType, sc.spec.mountOptions)],
    parameters: { ...sc.spec.parameters, ...(pool?.parameters ?? {}) },
    secrets: secretData(store, sc.spec.provisionerSecret),
    accessibilityRequirements: Object.keys(plugin.topology).length > 0 ? { requisite: [topology], preferred: [topology] } : undefined,
    volumeContentSource: claimSource(ctx, claim),
  };
}

function claimSource(ctx: ClusterContext, claim: ClaimRecord) {
  // A backup source is not a CSI content source: the volume is created empty and the data mover fills it.
  if (!claim.dataSource || claim.dataSource.kind === 'backup') return undefined;
  if (claim.dataSource.kind === 'snapshot') return { snapshot: { snapshotId: claim.dataSource.id } };
  const source = ctx.store.volumes.get(claim.dataSource.id);
  if (!source?.csiVolumeId) throw new Error(`dataSource volume ${claim.dataSource.id} does not exist`);
  return { volume: { volumeId: source.csiVolumeId } };
}

/** ControllerPublishVolume for plugins that attach at the controller (iSCSI, cloud disks), once per node. */
async function controllerPublish(ctx: ClusterContext, claim: ClaimRecord, node: NodeRecord): Promise<void> {
  const volume = claim.volumeId ? ctx.store.volumes.get(claim.volumeId) : undefined;
  if (!volume?.csiVolumeId || volume.published?.[node.id]) return;
  const plugin = node.plugins.find((p) => p.name === volume.plugin);
  if (!plugin?.controllerCapabilities.includes('PUBLISH_UNPUBLISH_VOLUME')) return;
  const sc = ctx.store.storageClasses.get(claim.storageClass)?.spec;
  const secrets = secretData(ctx.store, sc?.publishSecret);
  const res = await ctx.controllerFor(volume.plugin, node).controller('ControllerPublishVolume', {
    volumeId: volume.csiVolumeId, nodeId: plugin.csiNodeId, volumeCapability: capabilityOf(claim, sc?.fsType, sc?.mountOptions ?? []),
    readonly: claim.accessMode === 'single-node-reader-only', secrets, volumeContext: volume.volumeContext,
  });
  ctx.store.volumes.put(volume.id, { ...volume, published: { ...(volume.published ?? {}), [node.id]: res.publishContext } });
}
