import { mkdirSync } from 'node:fs';
import { run } from '../../lib/exec/run';
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from '../sdk/errors';
import { AsyncService } from '../sdk/handler';
import { attachLoop, detachLoop } from '../sdk/loop-devices';
import { mountedPublications, nodeUnpublishVolume } from '../sdk/node-unpublish';
import { nodeUnstageVolume } from '../sdk/node-unstage';
import { makeBlockTarget } from '../sdk/targets';
import { nodeCapabilities, STAGING_NODE_CAPABILITIES } from '../sdk/service-capabilities';
import { bindMount, unmountAll } from '../../lib/mounts/mounts';
import { requireAbsolutePath, requireString } from '../sdk/validate';
import type { NodeHandlers } from '../../proto/csi/generated/csi/v1/Node';
import { accessTypeOf, capabilityKey, capabilityProblem } from './capabilities';
import { poolFsType } from './controller';
import { LocalDriver } from './driver';
import { PublishRecord, StageRecord } from './state';

/**
 * Node side of the local driver. Mount volumes: the subvolume is bind-mounted at the staging path, and
 * the staging path is bind-mounted at each target. Block volumes: NodeStage attaches the image to a loop
 * device; NodePublish bind-mounts that device node onto a file at the target path.
 */
export function localNode(driver: LocalDriver): AsyncService<NodeHandlers> {
  const { state } = driver;
  const volumeExists = (id: string) => state.volumes.has(id);
  const publications = mountedPublications(driver.locks, state.publications, () => state.save(), volumeExists);

  return {
    async NodeGetCapabilities() {
      return nodeCapabilities(STAGING_NODE_CAPABILITIES);
    },

    async NodeGetInfo() {
      return { nodeId: driver.nodeId, maxVolumesPerNode: String(driver.options.maxVolumesPerNode), accessibleTopology: driver.topology() };
    },

    async NodeStageVolume(req) {
      const id = requireString(req.volumeId, 'volume_id');
      const stagingPath = requireAbsolutePath(req.stagingTargetPath, 'staging_target_path');
      if (!req.volumeCapability) throw invalidArgument('volume_capability is required');
      const v = driver.volume(id);
      const pool = driver.pool(v.pool);
      const problem = capabilityProblem(req.volumeCapability, poolFsType(pool));
      if (problem) throw invalidArgument(problem);
      if (accessTypeOf(req.volumeCapability) !== v.accessType) throw invalidArgument(`volume ${id} is a ${v.accessType} volume`);
      const key = capabilityKey(req.volumeCapability);
      return driver.locks.withLocks([id], 'NodeStageVolume', async () => {
        const staged = state.stages.get(id);
        if (staged) {
          if (staged.stagingPath !== stagingPath) throw failedPrecondition(`volume ${id} is already staged at ${staged.stagingPath}`);
          if (staged.capabilityKey !== key) throw alreadyExists(`volume ${id} is staged with a different capability`);
          return {};
        }
        mkdirSync(stagingPath, { recursive: true });
        const record: StageRecord = { volumeId: id, stagingPath, accessType: v.accessType, capabilityKey: key };
        // A filesystem volume is a directory in the pool already: nothing to mount at the staging path
        // (publish binds the volume's own directory), which saves a mount per start. Stages made by
        // earlier versions, which bound it there, are still unmounted by NodeUnstageVolume.
        if (v.accessType === 'block') record.loopDevice = await attachLoop(pool.blockImagePath(id), false);
        state.stages.set(id, record);
        // A block stage holds a loop device, which a restarted plugin must find again: written now. A
        // filesystem stage holds nothing on the node; it is written with the publication that follows,
        // and losing it to a crash only means the next NodePublish asks for NodeStage again.
        if (record.loopDevice) state.save();
        return {};
      });
    },

    async NodeUnstageVolume(req) {
      return nodeUnstageVolume(req, {
        locks: driver.locks,
        stages: state.stages,
        volumeExists,
        isPublished: (id) => state.publicationsOf(id).length > 0,
        async teardown(staged) {
          // Filesystem stages of earlier versions bound the volume at the staging path.
          if (staged.accessType === 'mount') await unmountAll(staged.stagingPath);
          await detachLoop(staged.loopDevice);
        },
        save: () => state.save(),
      });
    },

    async NodePublishVolume(req) {
      const id = requireString(req.volumeId, 'volume_id');
      const stagingPath = requireAbsolutePath(req.stagingTargetPath, 'staging_target_path');
      const targetPath = requireAbsolutePath(req.targetPath, 'target_path');
      if (!req.volumeCapability) throw invalidArgument('volume_capability is required');
      const v = driver.volume(id);
      const pool = driver.pool(v.pool);
      const problem = capabilityProblem(req.volumeCapability, poolFsType(pool));
      if (problem) throw invalidArgument(problem);
      if (accessTypeOf(req.volumeCapability) !== v.accessType) throw invalidArgument(`volume ${id} is a ${v.accessType} volume`);
      const readOnly = Boolean(req.readonly) || req.volumeCapability.accessMode?.mode === 'SINGLE_NODE_READER_ONLY';
      const key = capabilityKey(req.volumeCapability);
      return driver.locks.withLocks([id], 'NodePublishVolume', async () => {
        const staged = state.stages.get(id);
        if (!staged || staged.stagingPath !== stagingPath) throw failedPrecondition(`volume ${id} is not staged at ${stagingPath}`);
        const existing = state.publications.get(targetPath);
        if (existing) {
          if (existing.volumeId !== id || existing.readOnly !== readOnly || existing.capabilityKey !== key) {
            throw alreadyExists(`${targetPath} is already published with a different volume, capability or read-only flag`);
          }
          return {};
        }
        const others = state.publicationsOf(id);
        if (others.length > 0 && req.volumeCapability?.accessMode?.mode === 'SINGLE_NODE_SINGLE_WRITER') {
          throw failedPrecondition(`volume ${id} is single-writer and already published at ${others[0].targetPath}`);
        }
        const record: PublishRecord = { volumeId: id, targetPath, readOnly, accessType: v.accessType, capabilityKey: key };
        if (v.accessType === 'block') {
          makeBlockTarget(targetPath);
          const device = readOnly ? await attachLoop(pool.blockImagePath(id), true) : staged.loopDevice;
          if (!device) throw failedPrecondition(`volume ${id} has no attached device; stage it again`);
          record.readOnlyLoop = readOnly ? device : undefined;
          await bindMount(device, targetPath, readOnly);
        } else {
          mkdirSync(targetPath, { recursive: true });
          await bindMount(pool.volumePath(id), targetPath, readOnly);
        }
        state.publications.set(targetPath, record);
        state.save();
        return {};
      });
    },

    async NodeUnpublishVolume(req) {
      return nodeUnpublishVolume(req, publications);
    },

    async NodeGetVolumeStats(req) {
      const id = requireString(req.volumeId, 'volume_id');
      // Not requireAbsolutePath: a path this plugin never published is simply "not found here".
      const volumePath = requireString(req.volumePath, 'volume_path');
      const v = driver.volume(id);
      const atPath = state.publications.get(volumePath)?.volumeId === id || state.stages.get(id)?.stagingPath === volumePath;
      if (!atPath) throw notFound(`volume ${id} is not published or staged at ${volumePath}`);
      const pool = driver.pool(v.pool);
      const healthy = pool.exists(pool.volumePath(id));
      const condition = { abnormal: !healthy, message: healthy ? 'volume is healthy' : `volume data is missing from pool ${pool.name}` };
      if (v.accessType === 'block') {
        return { usage: [{ total: String(v.capacityBytes), unit: 'BYTES', available: '0', used: '0' }], volumeCondition: condition };
      }
      const used = await pool.usedBytes(id);
      return {
        usage: [{ total: String(v.capacityBytes), used: String(used), available: String(Math.max(0, v.capacityBytes - used)), unit: 'BYTES' }],
        volumeCondition: condition,
      };
    },

    async NodeExpandVolume(req) {
      const id = requireString(req.volumeId, 'volume_id');
      requireString(req.volumePath, 'volume_path');
      const v = driver.volume(id);
      return driver.locks.withLocks([id], 'NodeExpandVolume', async () => {
        const staged = state.stages.get(id);
        // The loop device keeps the size it had when attached until told to re-read the file.
        if (staged?.loopDevice) await run('losetup', ['-c', staged.loopDevice]);
        for (const p of state.publicationsOf(id)) if (p.readOnlyLoop) await run('losetup', ['-c', p.readOnlyLoop]);
        return { capacityBytes: String(v.capacityBytes) };
      });
    },
  };
}
