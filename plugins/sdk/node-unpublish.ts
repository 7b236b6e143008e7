import type { NodeUnpublishVolumeRequest__Output } from '../../proto/csi/generated/csi/v1/NodeUnpublishVolumeRequest';
import type { NodeUnpublishVolumeResponse } from '../../proto/csi/generated/csi/v1/NodeUnpublishVolumeResponse';
import { unmountAll } from '../../lib/mounts/mounts';
import { notFound } from './errors';
import type { OperationLocks } from './locks';
import { detachLoop } from './loop-devices';
import { removeTarget } from './targets';
import { requireAbsolutePath, requireString } from './validate';

/** What a plugin supplies to get NodeUnpublishVolume. */
export interface NodeUnpublishBackend<P extends { readonly volumeId: string }> {
  readonly locks: OperationLocks;
  /** The publication this plugin recorded at `targetPath`, if any. */
  publicationAt(targetPath: string): P | undefined;
  /**
   * Whether the volume exists as far as this node can tell: an id this plugin could have minted, and —
   * where the plugin's controller records are at hand — one they hold.
   */
  volumeExists(volumeId: string): boolean;
  /** Undoes the publication (unmounts, detaches, removes what NodePublish created at the target) and forgets it. */
  unpublish(publication: P, targetPath: string): Promise<void>;
}

/**
 * NodeUnpublishVolume as the CSI spec has it, the same for every plugin. It MUST be idempotent: a volume
 * that is not (or no longer) published at the target answers OK — a retry, or a CO cleaning up after a
 * crash, finds nothing left to undo. A volume that does not exist answers NOT_FOUND (the spec's one
 * listed error: the caller must check the id before retrying). csi-sanity agrees: its current cases
 * unpublish volumes that exist (again on cleanup, which must succeed), and its older releases expected
 * NOT_FOUND for a volume id that names nothing. Missing ids and relative paths are INVALID_ARGUMENT.
 */
export async function nodeUnpublishVolume<P extends { readonly volumeId: string }>(
  req: NodeUnpublishVolumeRequest__Output,
  backend: NodeUnpublishBackend<P>,
): Promise<NodeUnpublishVolumeResponse> {
  const id = requireString(req.volumeId, 'volume_id');
  const targetPath = requireAbsolutePath(req.targetPath, 'target_path');
  return backend.locks.withLocks([id], 'NodeUnpublishVolume', async () => {
    const publication = backend.publicationAt(targetPath);
    if (publication && publication.volumeId === id) {
      await backend.unpublish(publication, targetPath);
      return {};
    }
    if (!backend.volumeExists(id)) throw notFound(`volume ${JSON.stringify(id)} not found`);
    return {}; // not published there: nothing to undo
  });
}

/** A publication that is a mount at its target, with the read-only loop device block volumes may hold there. */
export interface MountedPublication {
  readonly volumeId: string;
  readonly readOnlyLoop?: string;
}

/**
 * The backend of every plugin here: a publication is a mount at its target (a bind mount of the staged
 * volume or its device, or an NFS mount), recorded by target path in the plugin's state. Undoing it
 * unmounts, releases the target's read-only loop device if it has one, removes what NodePublish
 * created at the target, and forgets the record.
 */
export function mountedPublications<P extends MountedPublication>(
  locks: OperationLocks,
  publications: Map<string, P>,
  save: () => void,
  volumeExists: (volumeId: string) => boolean,
): NodeUnpublishBackend<P> {
  return {
    locks,
    publicationAt: (targetPath) => publications.get(targetPath),
    volumeExists,
    async unpublish(publication, targetPath) {
      await unmountAll(targetPath);
      await detachLoop(publication.readOnlyLoop);
      removeTarget(targetPath);
      publications.delete(targetPath);
      save();
    },
  };
}
