import type { TaskAssignment } from '../../proto/berth/generated/berth/agent/v1/TaskAssignment';
import type { VolumeAttachment } from '../../proto/berth/generated/berth/agent/v1/VolumeAttachment';
import type { ClusterContext } from '../cluster-context';
import { awaitingData } from '../controllers/data-restore';
import type { AppSpec, VolumeTemplate } from '../../core/manifests';
import type { TaskPort } from '../../proto/berth/generated/berth/agent/v1/TaskPort';
import { DEFAULT_STOP_POLICY } from '../../core/domain';
import { PREPARES_TASKS } from '../../proto/berth/features';
import { toWireCheck } from '../../proto/berth/health-checks';
import { encodeCreateVolumeRequest } from '../../volumes/csi-client/create-volume-codec';
import { agentCreates, volumeForAgent } from '../controllers/agent-created-volumes';
import { attachableOn, createVolumeRequest } from '../controllers/provisioning';
import { claimIdOf, csiAccessMode } from '../store/naming';
import type { ClaimRecord, TaskRecord, VolumeRecord } from '../store/records';
import { secretData } from '../store/secrets';

/**
 * The desired tasks of one node: every task assigned (or running) there, with its volumes resolved.
 * A task placed there goes out as soon as what is left to do for its volumes is the agent's (volumes
 * it creates itself, see controllers/agent-created-volumes.ts), else as `prepareOnly` (see `preparation`).
 */
export function buildAssignments(ctx: ClusterContext, nodeId: string): TaskAssignment[] {
  const { store } = ctx;
  const out: TaskAssignment[] = [];
  for (const task of store.tasks.where('node', nodeId)) {
    if (!['placed', 'assigned', 'running', 'failed'].includes(task.state)) continue;
    const app = store.apps.get(task.app);
    if (!app) continue;
    // A scale changes only the instance count, so the app's current spec serves tasks from before this field existed.
    const spec = task.spec ?? app.spec;
    const volumes: VolumeAttachment[] = [];
    let ready = true;
    for (const tpl of spec.volumes) {
      const claim = store.claims.get(claimIdOf(app.name, tpl.name, task.instance));
      const volume = claim?.volumeId ? store.volumes.get(claim.volumeId) : undefined;
      const attachment =
        claim &&
        (volume?.state === 'ready' ? readyAttachment(ctx, task.state, tpl, claim, volume, nodeId) : agentCreation(ctx, task.state, tpl, claim, nodeId));
      // Never hand out a task with a volume missing: it would write into its container instead.
      if (!attachment) {
        ready = false;
        break;
      }
      volumes.push(attachment);
    }
    // A placed task goes out early only for the agent to create volumes: its report of them is what
    // moves it on (otherwise the server assigns it in a moment, and a report before that is not taken).
    if (task.state === 'placed' && !volumes.some((v) => v.createRequest)) ready = false;
    const base = {
      taskId: task.id,
      app: app.name,
      instance: task.instance,
      generation: String(task.generation),
      runtime: spec.runtime,
      image: spec.image ?? '',
      command: [...spec.command],
      env: { ...spec.env, BERTH_APP: app.name, BERTH_INSTANCE: String(task.instance) },
      cpu: spec.resources.cpuMillis / 1000,
      memoryBytes: String(spec.resources.memoryBytes),
      stop: spec.stop ?? DEFAULT_STOP_POLICY,
      // Only when set: assignments of apps without them stay as they were (and so does their fingerprint).
      ...(spec.user !== undefined ? { user: spec.user } : {}),
      ...(spec.fsGroup !== undefined ? { fsGroup: String(spec.fsGroup) } : {}),
      ...(spec.readiness ? { readiness: toWireCheck(spec.readiness) } : {}),
      ...(spec.liveness ? { liveness: toWireCheck(spec.liveness) } : {}),
      ...taskPorts(ctx, task, spec, nodeId),
    };
    if (ready) {
      out.push({ ...base, volumes });
    } else {
      const prepared = preparation(ctx, task.state, app.name, task.instance, spec.volumes, nodeId);
      if (prepared) out.push({ ...base, volumes: prepared, prepareOnly: true });
    }
  }
  return out;
}

/**
 * The host ports the task holds here, with the container port each maps to, and the node's address.
 * Absent for apps without ports, so their assignments (and fingerprints) stay as they were.
 */
function taskPorts(ctx: ClusterContext, task: TaskRecord, spec: AppSpec, nodeId: string): Pick<TaskAssignment, 'ports' | 'nodeAddress'> {
  if (!task.hostPorts?.length) return {};
  const ports: TaskPort[] = task.hostPorts.map((held) => ({
    name: held.name,
    hostPort: held.port,
    containerPort: spec.ports?.find((p) => p.name === held.name)?.containerPort ?? held.port,
  }));
  const address = ctx.store.nodes.get(nodeId)?.address ?? '';
  return { ports, nodeAddress: hostOf(address) };
}

/** "10.0.0.5:7422" → "10.0.0.5", "[::1]:7422" → "::1". */
function hostOf(address: string): string {
  const colon = address.lastIndexOf(':');
  const host = colon > 0 && !address.endsWith(']') ? address.slice(0, colon) : address;
  return host.replace(/^\[|\]$/g, '');
}

/** The attachment of a ready volume, or undefined while the task must not have it yet. */
function readyAttachment(
  ctx: ClusterContext,
  state: string,
  tpl: VolumeTemplate,
  claim: ClaimRecord,
  volume: VolumeRecord,
  nodeId: string,
): VolumeAttachment | undefined {
  if (!volume.csiVolumeId) return undefined;
  // A volume restored from a backup is empty until the data mover has written and verified it:
  // the instance must not start on (and write into) a partial tree.
  if (awaitingData(claim)) return undefined;
  // A placed task is still the server's to provision: with a volume of its ready, it goes out early only
  // when nothing is left for the server to do for it on the node (no ControllerPublishVolume pending).
  if (state === 'placed' && !attachableOn(ctx.store.nodes.get(nodeId), volume)) return undefined;
  return {
    ...attachmentBase(ctx, tpl, claim, volume.plugin, nodeId),
    volumeId: volume.csiVolumeId,
    volumeContext: volume.volumeContext,
    publishContext: volume.published?.[nodeId] ?? {},
  };
}

/** The attachment of a volume the node's agent is to create (agent-created-volumes.ts), with its CreateVolume request. */
function agentCreation(ctx: ClusterContext, state: string, tpl: VolumeTemplate, claim: ClaimRecord, nodeId: string): VolumeAttachment | undefined {
  const node = ctx.store.nodes.get(nodeId);
  const volume = node && state === 'placed' ? volumeForAgent(ctx, claim, node) : undefined;
  if (!node || !volume || !agentCreates(ctx, claim, node)) return undefined;
  return { ...attachmentBase(ctx, tpl, claim, volume.plugin, nodeId), createRequest: encodeCreateVolumeRequest(createVolumeRequest(ctx, claim, volume, node)) };
}

/** A task mounts a volume read-only when its template says so or its claim can only be read. */
function readOnlyFor(tpl: VolumeTemplate, claim: ClaimRecord): boolean {
  return tpl.readOnly || claim.accessMode === 'single-node-reader-only';
}

function attachmentBase(ctx: ClusterContext, tpl: VolumeTemplate, claim: ClaimRecord, plugin: string, nodeId: string): VolumeAttachment {
  const sc = ctx.store.storageClasses.get(claim.storageClass)?.spec;
  return {
    name: tpl.name,
    plugin,
    mountPath: tpl.mountPath,
    readOnly: readOnlyFor(tpl, claim),
    block: claim.volumeMode === 'block',
    fsType: sc?.fsType ?? '',
    accessMode: csiAccessMode(claim.accessMode),
    stageSecrets: secretData(ctx.store, sc?.stageSecret),
    publishSecrets: secretData(ctx.store, sc?.publishSecret),
    mountFlags: [...(sc?.mountOptions ?? [])],
    ...(tpl.owner !== undefined ? { owner: tpl.owner } : {}),
  };
}

/**
 * The volumes of a task that the agent may prepare (create its container, not start it) while the
 * server provisions them: the container's bind mounts name the publish targets, which are known before
 * the volumes exist, so creating the container no longer waits for CreateVolume (it costs as much as
 * the volume). Only for filesystem volumes (a block volume's device node exists once published) and
 * only for tasks on their way to their first start here.
 */
function preparation(
  ctx: ClusterContext,
  state: string,
  app: string,
  instance: number,
  templates: readonly VolumeTemplate[],
  nodeId: string,
): VolumeAttachment[] | undefined {
  if (state !== 'placed' && state !== 'assigned') return undefined;
  // An agent that does not know prepare_only would start the task, without its volumes.
  if (!ctx.store.nodes.get(nodeId)?.features?.includes(PREPARES_TASKS)) return undefined;
  const volumes: VolumeAttachment[] = [];
  for (const tpl of templates) {
    const claim = ctx.store.claims.get(claimIdOf(app, tpl.name, instance));
    const plugin = claim && ctx.store.storageClasses.get(claim.storageClass)?.spec.plugin;
    if (!claim || !plugin || claim.volumeMode === 'block') return undefined;
    // The same mounts as the start's (readOnlyFor), or the prepared container does not match and is replaced.
    volumes.push({ name: tpl.name, plugin, mountPath: tpl.mountPath, readOnly: readOnlyFor(tpl, claim) });
  }
  return volumes;
}
