import { classPool } from '../../core/manifests';
import type { PoolAmount, Reservation, ResourceAmounts } from '../../core/domain';
import type { PluginReport__Output } from '../../proto/berth/generated/berth/agent/v1/PluginReport';
import { crashPoint } from '../../lib/failpoints/failpoints';
import type { VolumeCapability, Volume__Output as CsiVolume } from '../../proto/csi/types';
import type { AccessMode } from '../../proto/csi/types';
import type { ClusterContext } from '../cluster-context';
import { taskHolderId } from '../../core/reservations';
import { claimIdOf, csiAccessMode, csiNameOf, newVolumeId, volumeRole } from '../store/naming';
import type { ClaimRecord, NodeRecord, TaskRecord, VolumeRecord } from '../store/records';
import { secretData } from '../store/secrets';
import { agentCreates, volumeForAgent } from './agent-created-volumes';
import { pluginTraits } from '../agents/plugin-traits';
import { TimeSlice } from './runtime/time-slice';
import { checkTransition } from './volume-lifecycle';
import { decodeCreateVolumeResponse } from '../../volumes/csi-client/create-volume-codec';
import type { TaskReport__Output } from '../../proto/berth/generated/berth/agent/v1/TaskReport';

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
  const slice = new TimeSlice();
  // Each task in the background (CreateVolume may take up to its deadline): see controllers/background-work.ts.
  for (const task of ctx.store.tasks.where('state', 'placed')) {
    if (slice.due()) await slice.yield();
    if (ctx.store.tasks.get(task.id)?.state !== 'placed') continue; // moved on while the pass let others run
    if (waitingForAgentOnly(ctx, task)) continue;
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

/**
 * Every volume of the task is an intent its agent is to create: provisionTask would check again what
 * agentCreates checked and write nothing. Most placed tasks of a large start are in this state until
 * their agents report, and each pass looks at all of them.
 */
function waitingForAgentOnly(ctx: ClusterContext, task: TaskRecord): boolean {
  const { store } = ctx;
  const app = store.apps.get(task.app);
  const node = task.nodeId ? store.nodes.get(task.nodeId) : undefined;
  if (!app || !node || app.spec.volumes.length === 0) return false;
  return app.spec.volumes.every((tpl) => {
    const claim = store.claims.get(claimIdOf(app.name, tpl.name, task.instance));
    return claim !== undefined && volumeForAgent(ctx, claim, node) !== undefined && agentCreates(ctx, claim, node);
  });
}

async function provisionTask(ctx: ClusterContext, task: TaskRecord): Promise<void> {
  const { store } = ctx;
  const app = store.apps.get(task.app);
  const node = task.nodeId ? store.nodes.get(task.nodeId) : undefined;
  if (!app || !node) return;
  let waitingForAgent = false;
  for (const tpl of app.spec.volumes) {
    const claim = store.claims.get(claimIdOf(app.name, tpl.name, task.instance));
    if (!claim) return;
    const unbound = !claim.volumeId || store.volumes.get(claim.volumeId)?.state === 'creating';
    if (unbound && agentCreates(ctx, claim, node)) {
      // The agent creates it when it attaches it (see agent-created-volumes.ts); the intent comes first.
      await provisionIntent(ctx, task, claim, node);
      waitingForAgent = true;
      continue;
    }
    if (unbound) await provisionClaim(ctx, task, claim, node);
    const bound = store.claims.get(claim.id)!;
    await controllerPublish(ctx, bound, node);
  }
  if (!waitingForAgent) await markAssigned(ctx, task.id, node.id);
}

/** placed → assigned once every volume of the task is ready on its node. */
export function markAssigned(ctx: ClusterContext, taskId: string, nodeId: string): Promise<void> {
  return ctx.store.commitSoon(() => {
    const current = ctx.store.tasks.get(taskId);
    if (current?.state === 'placed') {
      checkTransition(ctx.log, 'task', taskId, current.state, 'assigned');
      ctx.store.tasks.put(taskId, { ...current, state: 'assigned', message: undefined, updatedAt: new Date().toISOString() });
      ctx.event(`task/${taskId}`, 'Assigned', `volumes ready; handed to the agent on ${nodeId}`);
    }
  });
}

interface ProvisionTarget {
  plugin: PluginReport__Output;
  poolName: string | undefined;
  volume: VolumeRecord;
  /** The claim's bytes in the task's reservation, when a task reserved them. */
  held: { reservation: Reservation; poolAmount: PoolAmount } | undefined;
}

/**
 * Checks the claim can be provisioned by its class's plugin on `node`, and writes the volume's intent
 * (its record with a fixed CreateVolume name) unless it exists: the intent is there before any plugin
 * is asked to create anything.
 */
async function provisionIntent(ctx: ClusterContext, task: TaskRecord | undefined, claim: ClaimRecord, node: NodeRecord): Promise<ProvisionTarget> {
  const { store } = ctx;
  const sc = store.storageClasses.get(claim.storageClass);
  if (!sc) throw new Error(`storage class ${claim.storageClass} does not exist`);
  const plugin = node.plugins.find((p) => p.name === sc.spec.plugin);
  if (!plugin) throw new Error(`CSI plugin ${sc.spec.plugin} is not registered on node ${node.id}`);
  const traits = pluginTraits(plugin);
  if (!traits.createsVolumes) throw new Error(`CSI plugin ${sc.spec.plugin} cannot create volumes (no CREATE_DELETE_VOLUME)`);
  if (claim.dataSource?.kind === 'snapshot' && !traits.snapshots) {
    throw new Error(`CSI plugin ${sc.spec.plugin} does not support snapshots; claim ${claim.id} cannot be created from one`);
  }
  if (claim.dataSource?.kind === 'volume' && !traits.clones) {
    throw new Error(`CSI plugin ${sc.spec.plugin} cannot clone volumes; claim ${claim.id} cannot be created from one`);
  }
  const reservation = task ? (await ctx.ledger.reservationsOf([task.id])).get(task.id) : undefined;
  const poolAmount = reservation?.amounts.pools.find((p) => p.claimId === claim.id);
  const poolName = poolAmount?.pool ?? classPool(sc.spec) ?? plugin.pools[0]?.name;
  let volume: VolumeRecord | undefined = claim.volumeId ? store.volumes.get(claim.volumeId) : undefined;
  if (!volume) {
    // Group-committed with the other intents of this moment; whoever wrote first wins (read again inside).
    volume = await store.commitSoon(() => {
      const current = store.claims.get(claim.id) ?? claim;
      const existing = current.volumeId ? store.volumes.get(current.volumeId) : undefined;
      if (existing) return existing;
      const v: VolumeRecord = {
        id: newVolumeId(),
        plugin: sc.spec.plugin,
        csiName: csiNameOf(claim.id),
        claimId: claim.id,
        nodeId: undefined,
        intentNodeId: node.id,
        pool: poolName,
        capacityBytes: claim.sizeBytes,
        topology: {},
        volumeContext: {},
        state: 'creating',
        createdAt: new Date().toISOString(),
      };
      checkTransition(ctx.log, 'volume', v.id, null, v.state);
      checkTransition(ctx.log, 'claim', claim.id, current.state, 'provisioning');
      store.volumes.put(v.id, v);
      store.claims.put(claim.id, { ...current, volumeId: v.id, state: 'provisioning' });
      return v;
    });
  }
  return { plugin, poolName, volume, held: reservation && poolAmount ? { reservation, poolAmount } : undefined };
}

/**
 * Creates and binds the volume of one claim on `node`: for a placed task (WaitForFirstConsumer: the
 * claim's bytes move from the task's reservation to the volume's own), or with no task at all
 * (Immediate binding: the volume's reservation was taken before its intent was written).
 */
export async function provisionClaim(ctx: ClusterContext, task: TaskRecord | undefined, claim: ClaimRecord, node: NodeRecord): Promise<void> {
  // 1. Intent: the volume record with its CreateVolume name exists before the plugin is called.
  const target = await provisionIntent(ctx, task, claim, node);
  // 2. CreateVolume, preferring (and requiring) the node the scheduler chose.
  const res = await ctx.controllerFor(target.volume.plugin, node).controller('CreateVolume', createVolumeRequest(ctx, claim, target.volume, node));
  crashPoint('server.create-volume.after-plugin'); // tests: the plugin made the volume, the records do not know it yet
  await bindCreated(ctx, task, claim, node, target, res.volume!);
}

/**
 * Records a volume the agent of `node` created for a task's claim (its CreateVolumeResponse) exactly
 * as if the server had made the call: ready, bound, its bytes moved to a reservation of its own. A
 * report of a volume already recorded (agents repeat them) or no longer wanted changes nothing.
 */
export async function recordAgentCreated(
  ctx: ClusterContext,
  task: TaskRecord,
  claim: ClaimRecord,
  node: NodeRecord,
  csiName: string,
  created: CsiVolume,
  readyAt: Date,
): Promise<void> {
  const recording = ctx.memory.recordingAgentCreated;
  const volume = claim.volumeId ? ctx.store.volumes.get(claim.volumeId) : undefined;
  // Only an answer to this very intent (an older incarnation of the claim had another name), and once:
  // two syncs of one agent can overlap (a cut-short long poll and the next).
  if (volume?.state !== 'creating' || volume.intentNodeId !== node.id || volume.claimId !== claim.id || volume.csiName !== csiName || recording.has(volume.id))
    return;
  recording.add(volume.id);
  try {
    await bindCreated(ctx, task, claim, node, await provisionIntent(ctx, task, claim, node), created, readyAt);
  } finally {
    recording.delete(volume.id);
  }
}

/** 3. Bind, and move the claim's bytes from the task's reservation to the volume's own (it outlives the task). */
async function bindCreated(
  ctx: ClusterContext,
  task: TaskRecord | undefined,
  claim: ClaimRecord,
  node: NodeRecord,
  target: ProvisionTarget,
  created: CsiVolume,
  readyAt = new Date(),
): Promise<void> {
  const { store } = ctx;
  const { plugin, poolName, volume, held } = target;
  const segments = created.accessibleTopology[0]?.segments ?? {};
  const ready: VolumeRecord = {
    ...volume,
    csiVolumeId: created.volumeId,
    capacityBytes: Number(created.capacityBytes) || claim.sizeBytes,
    topology: segments,
    // When the plugin made it: a pool measured after that no longer counts its bytes free (node-sync.ts nodeCapacity).
    volumeContext: created.volumeContext,
    state: 'ready',
    readyAt: readyAt.toISOString(),
    // A volume whose topology names exactly this node's segments lives here (node-local storage).
    nodeId: Object.keys(segments).length > 0 && Object.entries(segments).every(([k, v]) => plugin.topology[k] === v) ? node.id : undefined,
  };
  const bound = await store.commitSoon(() => {
    // Reclaimed meanwhile (deleting): the delete finds the volume by its name; binding it would undo that.
    const current = store.claims.get(claim.id);
    if (store.volumes.get(ready.id)?.state !== 'creating' || !current) return false;
    checkTransition(ctx.log, 'volume', ready.id, 'creating', ready.state);
    checkTransition(ctx.log, 'claim', claim.id, current.state, 'bound');
    store.volumes.put(ready.id, ready);
    store.claims.put(claim.id, { ...current, volumeId: ready.id, state: 'bound' });
    return true;
  });
  if (!bound) return;
  // Only node-local volumes move their bytes to a reservation of their own: shared storage is not one
  // node's pool, so its claim keeps the bytes in the task's reservation.
  if (ready.nodeId && poolName) {
    const amounts: ResourceAmounts = {
      cpuMillis: 0,
      memoryBytes: 0,
      attachments: [],
      pools: [{ plugin: ready.plugin, pool: poolName, bytes: ready.capacityBytes }],
    };
    // One ledger transaction, so no other placement can take the bytes between the two reservations.
    const moved =
      task && held
        ? await ctx.ledger.moveToStatic({ fromHolderId: taskHolderId(task.id), claimId: claim.id, nodeId: node.id, role: volumeRole(ready.id), amounts })
        : await ctx.ledger.reserveStatic(node.id, volumeRole(ready.id), amounts);
    // The bytes come from the task's reservation, so this can only fail if the pool shrank under us
    // (a capacity report racing the create) or the plugin rounded the size up past the free space.
    if (moved.status !== 'reserved' && moved.status !== 'already-reserved') {
      ctx.event(
        `node/${node.id}`,
        'LedgerMismatch',
        `could not reserve ${ready.capacityBytes} bytes for volume ${ready.id} in pool ${poolName}: ${moved.status}`,
      );
    }
  }
  ctx.event(
    `claim/${claim.id}`,
    'Provisioned',
    `volume ${ready.id} (${ready.plugin} ${created.volumeId}, ${ready.capacityBytes} bytes) on ${ready.nodeId ?? 'shared storage'}`,
  );
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
    accessibilityRequirements: pluginTraits(plugin).nodeLocal ? { requisite: [topology], preferred: [topology] } : undefined,
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
  if (!plugin || !pluginTraits(plugin).attachesAtController) return;
  const sc = ctx.store.storageClasses.get(claim.storageClass)?.spec;
  const secrets = secretData(ctx.store, sc?.publishSecret);
  const res = await ctx.controllerFor(volume.plugin, node).controller('ControllerPublishVolume', {
    volumeId: volume.csiVolumeId,
    nodeId: plugin.csiNodeId,
    volumeCapability: capabilityOf(claim, sc?.fsType, sc?.mountOptions ?? []),
    readonly: claim.accessMode === 'single-node-reader-only',
    secrets,
    volumeContext: volume.volumeContext,
  });
  ctx.store.volumes.put(volume.id, { ...volume, published: { ...(volume.published ?? {}), [node.id]: res.publishContext } });
}

/**
 * Takes in what an agent reports about volumes it created (TaskReport.created), before the reports'
 * task states: a task whose volumes are then all in place is assigned, so the same report can move it
 * on to running. Reports name a volume again until the assignment carries its id: recording is idempotent.
 */
export async function recordAgentCreatedVolumes(
  ctx: ClusterContext,
  node: NodeRecord,
  reports: readonly TaskReport__Output[],
  clockOffsetMs: number,
): Promise<void> {
  for (const r of reports) {
    if (r.created.length === 0) continue;
    const task = ctx.store.tasks.get(r.taskId);
    if (!task || task.nodeId !== node.id) continue;
    for (const c of r.created) {
      const claim = ctx.store.claims.get(claimIdOf(task.app, c.name, task.instance));
      let created: CsiVolume | null = null;
      try {
        created = decodeCreateVolumeResponse(c.response).volume;
      } catch {
        ctx.log.warn({ node: node.id, task: task.id, volume: c.name }, 'agent reported an undecodable CreateVolumeResponse; ignored');
      }
      if (!claim || !created?.volumeId) continue;
      try {
        const at = Number(c.createdAtMs) > 0 ? new Date(Math.min(Date.now(), Number(c.createdAtMs) + clockOffsetMs)) : new Date();
        await recordAgentCreated(ctx, task, claim, node, c.csiName, created, at);
      } catch (error) {
        ctx.log.warn(
          { node: node.id, task: task.id, claim: claim.id, err: error instanceof Error ? error.message : String(error) },
          'could not record a volume the agent created; the next report retries',
        );
      }
    }
    if (task.state === 'placed' && volumesInPlace(ctx, task, node)) await markAssigned(ctx, task.id, node.id);
  }
}

/** Every volume of the task ready, and published to the node where the plugin wants that. */
function volumesInPlace(ctx: ClusterContext, task: TaskRecord, node: NodeRecord): boolean {
  const spec = task.spec ?? ctx.store.apps.get(task.app)?.spec;
  return (spec?.volumes ?? []).every((tpl) => {
    const claim = ctx.store.claims.get(claimIdOf(task.app, tpl.name, task.instance));
    const volume = claim?.volumeId ? ctx.store.volumes.get(claim.volumeId) : undefined;
    return volume?.state === 'ready' && attachableOn(node, volume);
  });
}

/** The volume can be staged on the node: ControllerPublished there, or its plugin attaches nothing at the controller. */
export function attachableOn(node: NodeRecord | undefined, volume: VolumeRecord): boolean {
  if (node && volume.published?.[node.id]) return true;
  const report = node?.plugins.find((p) => p.name === volume.plugin);
  return report !== undefined && !pluginTraits(report).attachesAtController;
}
