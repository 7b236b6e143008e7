import { CREATES_VOLUMES } from '../../proto/berth/features';
import type { ClusterContext } from '../cluster-context';
import { pluginTraits } from '../agents/plugin-traits';
import type { ClaimRecord, NodeRecord, VolumeRecord } from '../store/records';

/**
 * Whether the node's agent creates this claim's volume, instead of the server calling CreateVolume
 * through that agent. For a node-local plugin (its controller is reached through the agent anyway) the
 * agent makes the same call, by the same name, right before it attaches the volume: one hop instead of
 * three, and the container does not wait for the server to hear back. Only for plain new volumes
 * (a snapshot, clone or backup source keeps the server's path, which checks the source first) of
 * plugins that need no ControllerPublishVolume and classes without a provisioner secret, and only on
 * agents that say they can.
 */
export function agentCreates(ctx: ClusterContext, claim: ClaimRecord, node: NodeRecord): boolean {
  if (!node.features?.includes(CREATES_VOLUMES) || claim.dataSource) return false;
  const sc = ctx.store.storageClasses.get(claim.storageClass)?.spec;
  const plugin = sc?.plugin;
  // A provisioner secret stays with the server: assignments are kept on the node's disk.
  if (!plugin || sc.provisionerSecret || ctx.store.plugins.get(plugin)?.spec.controller?.endpoint) return false;
  const report = node.plugins.find((p) => p.name === plugin);
  // Node-local: the plugin reports a topology here (so a creating intent pins its claim to this node, see pinnedNode).
  const traits = report && pluginTraits(report);
  return Boolean(traits && traits.nodeLocal && traits.createsVolumes && !traits.attachesAtController);
}

/** The volume (intent) an agent is to create for a claim: `creating`, meant for `node`. */
export function volumeForAgent(ctx: ClusterContext, claim: ClaimRecord | undefined, node: NodeRecord): VolumeRecord | undefined {
  const volume = claim?.volumeId ? ctx.store.volumes.get(claim.volumeId) : undefined;
  return volume?.state === 'creating' && volume.intentNodeId === node.id ? volume : undefined;
}
