import { existsSync, mkdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../lib/exec/run';
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from '../sdk/errors';
import { AsyncService } from '../sdk/handler';
import { attachLoop, detachLoop } from '../sdk/loop-devices';
import { mountedPublications, nodeUnpublishVolume } from '../sdk/node-unpublish';
import { nodeUnstageVolume } from '../sdk/node-unstage';
import { makeBlockTarget } from '../sdk/targets';
import { nodeCapabilities, STAGING_NODE_CAPABILITIES } from '../sdk/service-capabilities';
import { bindMount, isMountPoint } from '../../lib/mounts/mounts';
import { requireAbsolutePath, requireString } from '../sdk/validate';
import type { NodeHandlers } from '../../proto/csi/generated/csi/v1/Node';
import { attachKernel, attachUserspace, rescanKernel, userspaceHealthy } from './attach';
import { accessTypeOf, capabilityKey, capabilityProblem, isReadOnlyMode } from './capabilities';
import { IscsiDriver } from './driver';
import { DATA_LUN } from './driver-config';
import { detectFs, deviceBytes, growExt4Offline, growMounted, makeFs } from './fs';
import { IQN, parsePortal, targetIqn, VOLUME_ID } from './ids';
import { NodePublication, StageRecord, TargetRef } from './state';

/**
 * Node side of the iSCSI driver. NodeStage attaches the LUN (iscsiadm, or qemu-nbd + nbdfuse + loop device
 * where the kernel has no initiator), makes a filesystem only when blkid finds none, and mounts it at the
 * staging path; NodePublish bind-mounts it (mount volumes) or binds the device node onto a file (block).
 */
export function iscsiNode(driver: IscsiDriver): AsyncService<NodeHandlers> {
  const state = driver.nstate;
  const { iqnPrefix } = driver.options;

  /**
   * A volume id of the wrong shape, or one the co-located controller does not know, names no volume. A
   * node plugin without its controller here can tell only the shape.
   */
  function volumeExists(id: string): boolean {
    if (!VOLUME_ID.test(id)) return false;
    return !driver.controllerState || driver.controllerState.volumes.get(id)?.status === 'ready';
  }

  const publications = mountedPublications(driver.locks, state.publications, () => state.save(), volumeExists);

  function requireVolumeId(id: string): void {
    if (!volumeExists(id)) throw notFound(`volume ${JSON.stringify(id)} not found`);
  }

  /** Where the LUN is: the publish context (from ControllerPublish), else the volume context; every field validated. */
  function targetOf(id: string, publish: Record<string, string>, volume: Record<string, string>): TargetRef {
    const ctx = publish.targetIqn ? publish : volume;
    const portal = ctx.portal ?? driver.options.portal;
    const iqn = ctx.targetIqn ?? targetIqn(iqnPrefix, id);
    const lun = ctx.lun ?? String(DATA_LUN);
    if (!parsePortal(portal)) throw invalidArgument(`portal ${JSON.stringify(portal)} is not HOST:PORT`);
    if (!IQN.test(iqn) || iqn !== targetIqn(iqnPrefix, id)) throw invalidArgument(`target ${JSON.stringify(iqn)} is not the target of volume ${id}`);
    if (!/^\d{1,3}$/.test(lun) || Number(lun) > 255) throw invalidArgument(`lun ${JSON.stringify(lun)} is not valid`);
    return { portal, iqn, lun: Number(lun) };
  }

  function healthy(s: StageRecord): boolean {
    if (s.attachment.kind === 'userspace' && !userspaceHealthy(s.attachment)) return false;
    if (s.device && !existsSync(s.device)) return false;
    return s.accessType === 'block' || isMountPoint(s.stagingPath);
  }

  async function attach(id: string, target: TargetRef, readOnly: boolean): Promise<{ attachment: StageRecord['attachment']; device: string }> {
    if (driver.attachMode === 'kernel') return attachKernel(target);
    return attachUserspace(target, driver.options.initiatorIqn, join(driver.options.stateDir, 'attach', id), readOnly, driver.log);
  }

  async function stageMount(s: StageRecord, cap: { mount?: { mountFlags?: string[] } | null }): Promise<void> {
    const device = s.device as string;
    let fsType = await detectFs(device);
    if (fsType === '') {
      if (s.readOnly) throw failedPrecondition(`volume ${s.volumeId} has no filesystem yet and is staged read-only`);
      const wanted = s.fsType || driver.options.defaultFsType;
      driver.log.info({ volumeId: s.volumeId, device, fsType: wanted }, 'no filesystem on the LUN: formatting (first use)');
      await makeFs(wanted, device);
      fsType = wanted;
    } else if (s.fsType && fsType !== s.fsType) {
      throw failedPrecondition(`volume ${s.volumeId} holds ${fsType}, the capability asks for ${s.fsType}; refusing to reformat data`);
    }
    s.fsType = fsType;
    if (fsType === 'ext4' && !s.readOnly && (await growExt4Offline(device)))
      driver.log.info({ volumeId: s.volumeId }, 'grew ext4 to the expanded LUN before mounting');
    mkdirSync(s.stagingPath, { recursive: true });
    const flags = [...(cap.mount?.mountFlags ?? []), ...(s.readOnly ? ['ro'] : [])];
    await run('mount', ['-t', fsType, ...(flags.length ? ['-o', flags.join(',')] : []), '--', device, s.stagingPath]);
    if (fsType === 'xfs' && !s.readOnly) await growMounted('xfs', device, s.stagingPath);
  }

  return {
    async NodeGetCapabilities() {
      return nodeCapabilities(STAGING_NODE_CAPABILITIES);
    },

    async NodeGetInfo() {
      return { nodeId: driver.nodeId, maxVolumesPerNode: '0', accessibleTopology: null };
    },

    async NodeStageVolume(req) {
      const id = requireString(req.volumeId, 'volume_id');
      const stagingPath = requireAbsolutePath(req.stagingTargetPath, 'staging_target_path');
      const cap = req.volumeCapability;
      if (!cap) throw invalidArgument('volume_capability is required');
      const problem = capabilityProblem(cap);
      if (problem) throw invalidArgument(problem);
      requireVolumeId(id);
      const target = targetOf(id, req.publishContext ?? {}, req.volumeContext ?? {});
      const accessType = accessTypeOf(cap) as 'mount' | 'block';
      const declared = req.volumeContext?.accessType;
      if (declared && declared !== accessType) throw invalidArgument(`volume ${id} is a ${declared} volume`);
      const readOnly = req.publishContext?.readOnly === 'true' || isReadOnlyMode(cap);
      const key = capabilityKey(cap);
      const fsType = accessType === 'mount' ? cap.mount?.fsType || req.volumeContext?.fsType || req.publishContext?.fsType || '' : '';
      return driver.locks.withLocks([id], 'NodeStageVolume', async () => {
        const staged = state.stages.get(id);
        if (staged) {
          if (staged.stagingPath !== stagingPath) throw failedPrecondition(`volume ${id} is already staged at ${staged.stagingPath}`);
          if (staged.capabilityKey !== key || staged.readOnly !== readOnly) throw alreadyExists(`volume ${id} is staged with a different capability`);
          if (healthy(staged)) return {};
          driver.log.warn({ volumeId: id }, 'staged volume lost its attachment (reboot or crash): attaching again');
          await driver.teardownStage(staged);
          state.stages.delete(id);
          state.save();
        }
        const record: StageRecord = {
          volumeId: id,
          stagingPath,
          accessType,
          fsType,
          capabilityKey: key,
          readOnly,
          status: 'attaching',
          target,
          attachment:
            driver.attachMode === 'kernel'
              ? { kind: 'kernel', session: `${target.portal},${target.iqn}` }
              : { kind: 'userspace', fuseDir: join(driver.options.stateDir, 'attach', id) },
        };
        // Intent first: a crash mid-attach leaves a record the next start tears down.
        state.stages.set(id, record);
        state.save();
        try {
          const attached = await attach(id, target, readOnly);
          record.attachment = attached.attachment;
          record.device = attached.device;
          state.save();
          if (accessType === 'mount') await stageMount(record, cap);
          else mkdirSync(stagingPath, { recursive: true });
          record.status = 'staged';
          state.save();
        } catch (error) {
          await driver.teardownStage(record).catch((e: unknown) => driver.log.error({ err: e, volumeId: id }, 'stage rollback failed'));
          state.stages.delete(id);
          state.save();
          throw error;
        }
        return {};
      });
    },

    async NodeUnstageVolume(req) {
      return nodeUnstageVolume(req, {
        locks: driver.locks,
        stages: state.stages,
        volumeExists,
        isPublished: (id) => state.publicationsOf(id).length > 0,
        teardown: (staged) => driver.teardownStage(staged),
        save: () => state.save(),
      });
    },

    async NodePublishVolume(req) {
      const id = requireString(req.volumeId, 'volume_id');
      const stagingPath = requireAbsolutePath(req.stagingTargetPath, 'staging_target_path');
      const targetPath = requireAbsolutePath(req.targetPath, 'target_path');
      const cap = req.volumeCapability;
      if (!cap) throw invalidArgument('volume_capability is required');
      const problem = capabilityProblem(cap);
      if (problem) throw invalidArgument(problem);
      requireVolumeId(id);
      const accessType = accessTypeOf(cap) as 'mount' | 'block';
      const readOnly = Boolean(req.readonly) || isReadOnlyMode(cap);
      const key = capabilityKey(cap);
      return driver.locks.withLocks([id], 'NodePublishVolume', async () => {
        const staged = state.stages.get(id);
        if (!staged || staged.stagingPath !== stagingPath || staged.status !== 'staged')
          throw failedPrecondition(`volume ${id} is not staged at ${stagingPath}`);
        if (staged.accessType !== accessType) throw invalidArgument(`volume ${id} is staged as a ${staged.accessType} volume`);
        const existing = state.publications.get(targetPath);
        if (existing) {
          if (existing.volumeId !== id || existing.readOnly !== readOnly || existing.capabilityKey !== key) {
            throw alreadyExists(`${targetPath} is already published with a different volume, capability or read-only flag`);
          }
          return {};
        }
        const others = state.publicationsOf(id);
        if (others.length > 0 && String(cap.accessMode?.mode) === 'SINGLE_NODE_SINGLE_WRITER') {
          throw failedPrecondition(`volume ${id} is single-writer and already published at ${others[0].targetPath}`);
        }
        const record: NodePublication = { volumeId: id, targetPath, readOnly, accessType, capabilityKey: key };
        if (accessType === 'block') {
          if (!staged.device) throw failedPrecondition(`volume ${id} has no attached device; stage it again`);
          makeBlockTarget(targetPath);
          let device = staged.device;
          if (readOnly && !staged.readOnly) {
            // A read-only bind of a device node still lets writes through: give this target a read-only loop.
            const file = staged.attachment.kind === 'userspace' ? join(staged.attachment.fuseDir, 'nbd') : staged.device;
            device = await attachLoop(file, true);
            record.readOnlyLoop = device;
          }
          try {
            await bindMount(device, targetPath, readOnly);
          } catch (error) {
            await detachLoop(record.readOnlyLoop);
            throw error;
          }
        } else {
          mkdirSync(targetPath, { recursive: true });
          await bindMount(stagingPath, targetPath, readOnly);
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
      const volumePath = requireString(req.volumePath, 'volume_path');
      if (!VOLUME_ID.test(id)) throw notFound(`volume ${JSON.stringify(id)} not found`);
      const staged = state.stages.get(id);
      if (!staged) throw notFound(`volume ${id} is not staged on this node`);
      const atPath = state.publications.get(volumePath)?.volumeId === id || staged.stagingPath === volumePath;
      if (!atPath) throw notFound(`volume ${id} is not published or staged at ${volumePath}`);
      const ok = healthy(staged);
      const volumeCondition = { abnormal: !ok, message: ok ? 'volume is healthy' : 'the LUN is no longer attached (initiator gone); unstage and stage again' };
      if (staged.accessType === 'block') {
        const total = ok && staged.device ? await deviceBytes(staged.device) : 0;
        return { usage: [{ total: String(total), unit: 'BYTES', available: '0', used: '0' }], volumeCondition };
      }
      const s = statfsSync(volumePath);
      return {
        usage: [
          { total: String(s.blocks * s.bsize), used: String((s.blocks - s.bfree) * s.bsize), available: String(s.bavail * s.bsize), unit: 'BYTES' },
          { total: String(s.files), used: String(s.files - s.ffree), available: String(s.ffree), unit: 'INODES' },
        ],
        volumeCondition,
      };
    },

    /**
     * Grows the filesystem to the LUN. The user-space initiator sees a LUN's size when it attaches, so on
     * that path a volume expanded while unstaged already has its new size here (ext4 was grown offline at
     * stage; xfs grows online). With the kernel initiator the session is rescanned first.
     */
    async NodeExpandVolume(req) {
      const id = requireString(req.volumeId, 'volume_id');
      const volumePath = requireString(req.volumePath, 'volume_path');
      if (!VOLUME_ID.test(id)) throw notFound(`volume ${JSON.stringify(id)} not found`);
      return driver.locks.withLocks([id], 'NodeExpandVolume', async () => {
        const staged = state.stages.get(id);
        if (!staged || !staged.device) throw notFound(`volume ${id} is not staged on this node`);
        const atPath = state.publications.get(volumePath)?.volumeId === id || staged.stagingPath === volumePath;
        if (!atPath) throw notFound(`volume ${id} is not published or staged at ${volumePath}`);
        if (staged.attachment.kind === 'kernel') await rescanKernel(staged.target);
        else await run('losetup', ['-c', staged.device]);
        const bytes = await deviceBytes(staged.device);
        const required = Number(req.capacityRange?.requiredBytes ?? 0);
        if (required > bytes) {
          throw failedPrecondition(
            `the attached LUN has ${bytes} bytes, fewer than the ${required} requested: ` +
              'the user-space initiator learns a new size only when the volume is staged again',
          );
        }
        if (staged.accessType === 'mount' && !staged.readOnly) await growMounted(staged.fsType, staged.device, staged.stagingPath);
        return { capacityBytes: String(bytes) };
      });
    },
  };
}
