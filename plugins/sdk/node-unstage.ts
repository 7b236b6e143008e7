import type { NodeUnstageVolumeRequest__Output } from '../../proto/csi/generated/csi/v1/NodeUnstageVolumeRequest';
import type { NodeUnstageVolumeResponse } from '../../proto/csi/generated/csi/v1/NodeUnstageVolumeResponse';
import { failedPrecondition, notFound } from './errors';
import type { OperationLocks } from './locks';
import { requireAbsolutePath, requireString } from './validate';

/** What a plugin that stages volumes supplies to get NodeUnstageVolume. */
export interface NodeUnstageBackend<S extends { readonly stagingPath: string }> {
  readonly locks: OperationLocks;
  /** The plugin's stages, by volume id (a volume is staged at one path per node). */
  readonly stages: Map<string, S>;
  /** As for NodeUnpublishVolume: an id this plugin could have minted and, where it can tell, one that exists. */
  volumeExists(volumeId: string): boolean;
  /** Whether the volume is still published at some target on this node. */
  isPublished(volumeId: string): boolean;
  /** Undoes the stage on the node (unmount, detach), tolerating pieces already gone. */
  teardown(stage: S): Promise<void>;
  /** Persists the stages after one is dropped. */
  save(): void;
}

/**
 * NodeUnstageVolume as the CSI spec has it, the same for every plugin that stages. Like NodeUnpublish it
 * MUST be idempotent: a volume not staged at `staging_target_path` — never staged, unstaged already, or
 * staged at another path, which is not this call's to undo — answers OK. A volume that does not exist
 * answers NOT_FOUND (the spec's listed error). csi-sanity checks only the missing fields (INVALID_ARGUMENT)
 * and unstages, on cleanup, volumes it staged. A volume still published on the node is FAILED_PRECONDITION:
 * the CO unpublishes every target first, and tearing the stage down under a mount would break it.
 */
export async function nodeUnstageVolume<S extends { readonly stagingPath: string }>(
  req: NodeUnstageVolumeRequest__Output,
  backend: NodeUnstageBackend<S>,
): Promise<NodeUnstageVolumeResponse> {
  const id = requireString(req.volumeId, 'volume_id');
  const stagingPath = requireAbsolutePath(req.stagingTargetPath, 'staging_target_path');
  return backend.locks.withLocks([id], 'NodeUnstageVolume', async () => {
    const staged = backend.stages.get(id);
    if (staged?.stagingPath === stagingPath) {
      if (backend.isPublished(id)) throw failedPrecondition(`volume ${id} is still published; unpublish it first`);
      await backend.teardown(staged);
      backend.stages.delete(id);
      backend.save();
      return {};
    }
    // A stage at another path is this node's record that the volume exists, whatever the controller says.
    if (!staged && !backend.volumeExists(id)) throw notFound(`volume ${JSON.stringify(id)} not found`);
    return {}; // not staged there: nothing to undo
  });
}
