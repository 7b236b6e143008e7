import { existsSync, mkdirSync, readFileSync, rmdirSync, statfsSync } from 'node:fs';
import { isIP } from 'node:net';
import { run } from '../../lib/exec/run';
import { alreadyExists, internal, invalidArgument, notFound } from '../sdk/errors';
import { AsyncService } from '../sdk/handler';
import { mountedPublications, nodeUnpublishVolume } from '../sdk/node-unpublish';
import { type NodeCapability, nodeCapabilities } from '../sdk/service-capabilities';
import { isMountPoint } from '../../lib/mounts/mounts';
import { requireAbsolutePath, requireString } from '../sdk/validate';
import type { NodeHandlers } from '../../proto/csi/generated/csi/v1/Node';
import { capabilityKey, capabilityProblem, isReadOnlyMode } from './capabilities';
import { NfsDriver } from './driver';
import { isSafeConfigPath } from './ganesha-config';
import { VOLUME_ID } from './ids';
import { NodePublishRecord } from './state';

const NODE_CAPABILITIES = ['GET_VOLUME_STATS', 'VOLUME_CONDITION', 'SINGLE_NODE_MULTI_WRITER'] as const satisfies readonly NodeCapability[];
const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*$/;

/** Whether this kernel can mount NFS at all (it cannot on the project's CI machines). */
export function kernelHasNfs(): boolean {
  try {
    return /\tnfs4?$/m.test(readFileSync('/proc/filesystems', 'utf8'));
  } catch {
    return false;
  }
}

/**
 * `server:share` from the volume context the controller returned. The context comes back through the
 * CO, so it is checked again here before it reaches mount(8).
 */
export function mountSource(context: Record<string, string> | undefined): string {
  const server = context?.server ?? '';
  const share = context?.share ?? '';
  if (!(isIP(server) !== 0 || HOSTNAME.test(server))) throw invalidArgument('volume_context.server must be an IP address or host name');
  if (!isSafeConfigPath(share)) throw invalidArgument('volume_context.share must be an absolute export path');
  return `${isIP(server) === 6 ? `[${server}]` : server}:${share}`;
}

/**
 * Node side: NodePublishVolume mounts the volume's export with the kernel NFS client straight at the
 * target path (no staging: an NFS mount needs no per-node device, and several nodes may mount one
 * export at once). Mount flags from the capability (the storage class's mountOptions) pass through.
 */
export function nfsNode(driver: NfsDriver): AsyncService<NodeHandlers> {
  const { state } = driver;

  /** A volume id this plugin could have minted, and — when the controller runs here too — one that exists. */
  function knownVolume(id: string): boolean {
    if (!VOLUME_ID.test(id)) return false;
    return !driver.hasController || state.volumes.get(id)?.status === 'ready';
  }
  const publications = mountedPublications(driver.locks, state.nodePublications, () => state.save(), knownVolume);

  return {
    async NodeGetCapabilities() {
      return nodeCapabilities(NODE_CAPABILITIES);
    },

    async NodeGetInfo() {
      return { nodeId: driver.nodeId, maxVolumesPerNode: String(driver.options.maxVolumesPerNode) };
    },

    async NodePublishVolume(req) {
      const id = requireString(req.volumeId, 'volume_id');
      const targetPath = requireAbsolutePath(req.targetPath, 'target_path');
      const cap = req.volumeCapability;
      if (!cap) throw invalidArgument('volume_capability is required');
      const problem = capabilityProblem(cap);
      if (problem) throw invalidArgument(problem);
      if (!knownVolume(id)) throw notFound(`volume ${JSON.stringify(id)} not found`);
      const source = mountSource(req.volumeContext);
      const readOnly = Boolean(req.readonly) || isReadOnlyMode(cap);
      const key = capabilityKey(cap);
      return driver.locks.withLocks([id], 'NodePublishVolume', async () => {
        const existing = state.nodePublications.get(targetPath);
        if (existing) {
          if (existing.volumeId !== id || existing.readOnly !== readOnly || existing.capabilityKey !== key || existing.source !== source) {
            throw alreadyExists(`${targetPath} is already published with a different volume, capability or read-only flag`);
          }
          if (isMountPoint(targetPath)) return {};
        }
        const options = [...(cap.mount?.mountFlags ?? []), ...(readOnly ? ['ro'] : [])];
        const created = !existsSync(targetPath);
        mkdirSync(targetPath, { recursive: true });
        try {
          await run('mount', ['-t', 'nfs', ...(options.length > 0 ? ['-o', options.join(',')] : []), source, targetPath]);
        } catch (error) {
          if (created) rmdirSync(targetPath);
          const hint = kernelHasNfs() ? '' : ' (this kernel has no NFS client: /proc/filesystems lists no nfs)';
          throw internal(`mounting ${source} at ${targetPath} failed${hint}: ${error instanceof Error ? error.message : String(error)}`);
        }
        const record: NodePublishRecord = { volumeId: id, targetPath, readOnly, capabilityKey: key, source };
        state.nodePublications.set(targetPath, record);
        state.save();
        return {};
      });
    },

    async NodeUnpublishVolume(req) {
      return nodeUnpublishVolume(req, publications);
    },

    async NodeGetVolumeStats(req) {
      const id = requireString(req.volumeId, 'volume_id');
      const volumePath = requireString(req.volumePath, 'volume_path');
      if (!knownVolume(id)) throw notFound(`volume ${JSON.stringify(id)} not found`);
      const record = state.nodePublications.get(volumePath);
      if (!record || record.volumeId !== id) throw notFound(`volume ${id} is not published at ${volumePath}`);
      const mounted = isMountPoint(volumePath);
      const condition = { abnormal: !mounted, message: mounted ? 'NFS export is mounted' : 'the NFS mount is gone from the target path' };
      if (!mounted) return { usage: [], volumeCondition: condition };
      // statfs over NFS reports what the server reports for the export (on btrfs: the filesystem, not the qgroup).
      const s = statfsSync(volumePath);
      return {
        usage: [
          { unit: 'BYTES', total: String(s.blocks * s.bsize), available: String(s.bavail * s.bsize), used: String((s.blocks - s.bfree) * s.bsize) },
          { unit: 'INODES', total: String(s.files), available: String(s.ffree), used: String(s.files - s.ffree) },
        ],
        volumeCondition: condition,
      };
    },
  };
}
