import type { ControllerGetCapabilitiesResponse } from '../../proto/csi/generated/csi/v1/ControllerGetCapabilitiesResponse';
import type { _csi_v1_ControllerServiceCapability_RPC_Type } from '../../proto/csi/generated/csi/v1/ControllerServiceCapability';
import type { NodeGetCapabilitiesResponse } from '../../proto/csi/generated/csi/v1/NodeGetCapabilitiesResponse';
import type { _csi_v1_NodeServiceCapability_RPC_Type } from '../../proto/csi/generated/csi/v1/NodeServiceCapability';

export type ControllerCapability = Exclude<_csi_v1_ControllerServiceCapability_RPC_Type, number | 'UNKNOWN'>;
export type NodeCapability = Exclude<_csi_v1_NodeServiceCapability_RPC_Type, number | 'UNKNOWN'>;

/**
 * The controller RPCs of a plugin that keeps its own volumes and snapshots in pools (local, iSCSI, NFS):
 * create/delete, list and get both, capacity, clones from either, expansion, health. This is berth.local's
 * whole list: its volumes live on the node that serves them, so there is nothing to attach at the controller.
 */
export const VOLUME_CONTROLLER_CAPABILITIES = [
  'CREATE_DELETE_VOLUME',
  'CREATE_DELETE_SNAPSHOT',
  'LIST_VOLUMES',
  'LIST_SNAPSHOTS',
  'GET_CAPACITY',
  'CLONE_VOLUME',
  'EXPAND_VOLUME',
  'GET_VOLUME',
  'GET_SNAPSHOT',
  'SINGLE_NODE_MULTI_WRITER',
  'VOLUME_CONDITION',
] as const satisfies readonly ControllerCapability[];

/**
 * The same plus the controller's grant of a volume to a node (iSCSI: the target's ACL; NFS: the export's
 * client list), which it lists per volume and can make read-only.
 */
export const PUBLISHING_CONTROLLER_CAPABILITIES = [
  ...VOLUME_CONTROLLER_CAPABILITIES,
  'PUBLISH_UNPUBLISH_VOLUME',
  'LIST_VOLUMES_PUBLISHED_NODES',
  'PUBLISH_READONLY',
] as const satisfies readonly ControllerCapability[];

/** The node RPCs of a plugin that stages a volume once per node and bind-mounts it per target (local, iSCSI). */
export const STAGING_NODE_CAPABILITIES = [
  'STAGE_UNSTAGE_VOLUME',
  'GET_VOLUME_STATS',
  'EXPAND_VOLUME',
  'SINGLE_NODE_MULTI_WRITER',
  'VOLUME_CONDITION',
] as const satisfies readonly NodeCapability[];

/** ControllerGetCapabilities' answer for a list of RPC capabilities. */
export function controllerCapabilities(list: readonly ControllerCapability[]): ControllerGetCapabilitiesResponse {
  return { capabilities: list.map((type) => ({ rpc: { type } })) };
}

/** NodeGetCapabilities' answer for a list of RPC capabilities. */
export function nodeCapabilities(list: readonly NodeCapability[]): NodeGetCapabilitiesResponse {
  return { capabilities: list.map((type) => ({ rpc: { type } })) };
}
