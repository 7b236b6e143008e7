import { alreadyExists, failedPrecondition, invalidArgument, notFound, outOfRange, resourceExhausted } from '../sdk/errors';
import { crashPoint } from '../../lib/failpoints/failpoints';
import { AsyncService } from '../sdk/handler';
import { requireString } from '../sdk/validate';
import type { ControllerHandlers } from '../../proto/csi/generated/csi/v1/Controller';
import type { Volume } from '../../proto/csi/generated/csi/v1/Volume';
import { capabilityKey, capabilityProblem, capacityFits, accessTypeOf, requireCapabilities, requireFsTypeParameter, resolveCapacity } from './capabilities';
import { IscsiDriver } from './driver';
import { DATA_LUN, XFS_MIN_BYTES } from './driver-config';
import { newSnapshotId, newVolumeId, SNAPSHOT_ID, VOLUME_ID } from './ids';
import { Publication, SnapshotRecord, VolumeRecord } from './state';
import { parsePaging } from '../sdk/paging';
import { controllerCapabilities, PUBLISHING_CONTROLLER_CAPABILITIES } from '../sdk/service-capabilities';
import { snapshotRpcs } from '../sdk/snapshots';

/** Parameters a StorageClass may set. Anything else is refused: parameters never reach a command unchecked. */
const KNOWN_PARAMETERS = new Set(['pool', 'fsType']);

function checkParameters(parameters: Record<string, string>): void {
  for (const key of Object.keys(parameters)) {
    if (!KNOWN_PARAMETERS.has(key)) throw invalidArgument(`unknown parameter ${JSON.stringify(key)} (known: ${[...KNOWN_PARAMETERS].join(', ')})`);
  }
}

/**
 * Controller of the iSCSI driver: a volume is a sparse backing file in a pool exported as LUN 1 of its own
 * target `${iqnPrefix}:${volumeId}`; publishing admits a node's initiator to that target.
 */
export function iscsiController(driver: IscsiDriver): AsyncService<ControllerHandlers> {
  const state = driver.cstate;
  const portal = driver.options.portal;

  const volumeContext = (v: VolumeRecord): Record<string, string> => ({
    portal,
    targetIqn: driver.iqnOf(v.id),
    lun: String(DATA_LUN),
    fsType: v.fsType,
    pool: v.pool,
    accessType: v.accessType,
  });
  const toVolume = (v: VolumeRecord): Volume => ({
    volumeId: v.id,
    capacityBytes: String(v.capacityBytes),
    volumeContext: volumeContext(v),
    contentSource: v.source?.snapshotId
      ? { snapshot: { snapshotId: v.source.snapshotId } }
      : v.source?.volumeId
        ? { volume: { volumeId: v.source.volumeId } }
        : null,
    accessibleTopology: [],
  });
  const condition = (v: VolumeRecord) => {
    const pool = driver.pools.get(v.pool);
    const present = pool?.exists(pool.volumeFile(v.id)) ?? false;
    if (!present) return { abnormal: true, message: `backing file of ${v.id} is missing from pool ${v.pool}` };
    if (driver.tgtError) return { abnormal: true, message: `tgtd unreachable: ${driver.tgtError}` };
    return { abnormal: false, message: 'volume is healthy' };
  };

  return {
    async ControllerGetCapabilities() {
      return controllerCapabilities(PUBLISHING_CONTROLLER_CAPABILITIES);
    },

    async CreateVolume(req) {
      const name = requireString(req.name, 'name');
      const parameters = req.parameters ?? {};
      checkParameters(parameters);
      const { accessType, fsType: capFsType } = requireCapabilities(req.volumeCapabilities);
      const paramFsType = requireFsTypeParameter(parameters.fsType);
      if (capFsType && paramFsType && capFsType !== paramFsType) throw invalidArgument(`fs_type ${capFsType} contradicts parameter fsType ${paramFsType}`);
      const source = req.volumeContentSource;
      const sourceSnapshot = source?.snapshot
        ? driver.snapshot(requireString(source.snapshot.snapshotId, 'volume_content_source.snapshot.snapshot_id'))
        : undefined;
      const sourceVolume = source?.volume ? driver.volume(requireString(source.volume.volumeId, 'volume_content_source.volume.volume_id')) : undefined;
      const sourceRecord = sourceSnapshot ?? sourceVolume;
      const pool = driver.pool(parameters.pool ?? sourceRecord?.pool ?? driver.defaultPool.name);
      let fsType = accessType === 'block' ? '' : capFsType || paramFsType || sourceRecord?.fsType || driver.options.defaultFsType;
      if (sourceRecord && accessType === 'mount' && sourceRecord.fsType && !capFsType && !paramFsType) fsType = sourceRecord.fsType;
      const size = resolveCapacity(req.capacityRange, driver.options.defaultVolumeBytes, fsType === 'xfs' ? XFS_MIN_BYTES : 0);

      const existing = state.volumeByName(name);
      if (existing && existing.status === 'ready') {
        const sameSource = (existing.source?.snapshotId ?? '') === (sourceSnapshot?.id ?? '') && (existing.source?.volumeId ?? '') === (sourceVolume?.id ?? '');
        if (
          existing.pool !== pool.name ||
          existing.accessType !== accessType ||
          (accessType === 'mount' && existing.fsType !== fsType) ||
          !sameSource ||
          !capacityFits(existing.capacityBytes, req.capacityRange)
        ) {
          throw alreadyExists(`volume ${JSON.stringify(name)} exists (${existing.id}) with different capacity, pool, type or source`);
        }
        return { volume: toVolume(existing) };
      }
      if (sourceRecord) {
        if (sourceRecord.pool !== pool.name) throw invalidArgument(`content source is in pool ${sourceRecord.pool}; a clone must be in the same pool`);
        if (sourceRecord.accessType !== accessType)
          throw invalidArgument(`content source is a ${sourceRecord.accessType} volume; cannot create a ${accessType} volume from it`);
        if (accessType === 'mount' && sourceRecord.fsType && sourceRecord.fsType !== fsType)
          throw invalidArgument(`content source holds ${sourceRecord.fsType}, not ${fsType}`);
        const sourceBytes = sourceSnapshot ? sourceSnapshot.sizeBytes : (sourceVolume?.capacityBytes ?? 0);
        if (size < sourceBytes) throw outOfRange(`requested ${size} bytes is smaller than the source's ${sourceBytes} bytes`);
      }
      const free = driver.availableBytes(pool);
      if (size > free) throw resourceExhausted(`pool ${pool.name} has ${free} bytes free, volume needs ${size}`);

      return driver.locks.withLocks([`name:${name}`, ...(sourceRecord ? [sourceRecord.id] : [])], 'CreateVolume', async () => {
        const targets = await driver.tgt.show();
        const record: VolumeRecord = {
          id: newVolumeId(),
          name,
          pool: pool.name,
          capacityBytes: size,
          accessType,
          fsType,
          tid: 0,
          status: 'creating',
          parameters: { ...parameters },
          publications: [],
          createdAt: new Date().toISOString(),
          source: sourceSnapshot ? { snapshotId: sourceSnapshot.id } : sourceVolume ? { volumeId: sourceVolume.id } : undefined,
        };
        record.tid = driver.allocateTid(targets);
        // Intent first: a crash after this line leaves a record that the next start rolls back.
        state.volumes.set(record.id, record);
        state.save();
        return driver.locks.withLocks([record.id], 'CreateVolume', async () => {
          try {
            const file = pool.volumeFile(record.id);
            if (sourceSnapshot) await pool.copy(pool.snapshotFile(sourceSnapshot.id), file, size);
            else if (sourceVolume) await pool.copy(pool.volumeFile(sourceVolume.id), file, size);
            else pool.createSparse(file, size);
            crashPoint('iscsi.create-volume.after-file');
            await driver.ensureTarget(record, targets);
            crashPoint('iscsi.create-volume.after-target');
            record.status = 'ready';
            state.save();
          } catch (error) {
            await driver.destroyVolume(record).catch((e: unknown) => driver.log.error({ err: e, volumeId: record.id }, 'rollback failed'));
            throw error;
          }
          return { volume: toVolume(record) };
        });
      });
    },

    async DeleteVolume(req) {
      const id = requireString(req.volumeId, 'volume_id');
      const v = VOLUME_ID.test(id) ? state.volumes.get(id) : undefined;
      if (!v) return {}; // deleting what does not exist has succeeded already
      return driver.locks.withLocks([id], 'DeleteVolume', async () => {
        if (v.publications.length > 0) {
          throw failedPrecondition(`volume ${id} is still published to ${v.publications.map((p) => p.nodeId).join(', ')}`);
        }
        const t = (await driver.tgt.show()).find((x) => x.iqn === driver.iqnOf(id));
        if (t && t.sessions.length > 0) throw failedPrecondition(`volume ${id} still has initiators logged in: ${t.sessions.join(', ')}`);
        await driver.destroyVolume(v);
        return {};
      });
    },

    async ControllerPublishVolume(req) {
      const id = requireString(req.volumeId, 'volume_id');
      const nodeId = requireString(req.nodeId, 'node_id');
      if (!req.volumeCapability) throw invalidArgument('volume_capability is required');
      const problem = capabilityProblem(req.volumeCapability);
      if (problem) throw invalidArgument(problem);
      const v = driver.volume(id);
      const initiators = driver.nodeInitiators.get(nodeId);
      if (!initiators) throw notFound(`node ${JSON.stringify(nodeId)} is not known to this controller (give --node-initiator ${nodeId}=IQN|ADDRESS)`);
      if (accessTypeOf(req.volumeCapability) !== v.accessType) throw invalidArgument(`volume ${id} is a ${v.accessType} volume`);
      const readOnly = Boolean(req.readonly);
      const key = capabilityKey(req.volumeCapability);
      const context = { portal, targetIqn: driver.iqnOf(id), lun: String(DATA_LUN), readOnly: String(readOnly), fsType: v.fsType };
      return driver.locks.withLocks([id], 'ControllerPublishVolume', async () => {
        const existing = v.publications.find((p) => p.nodeId === nodeId);
        if (existing) {
          if (existing.readOnly !== readOnly || existing.capabilityKey !== key) {
            throw alreadyExists(`volume ${id} is published to ${nodeId} with a different capability or read-only flag`);
          }
        } else {
          if (v.publications.length > 0) {
            throw failedPrecondition(`volume ${id} is published to node ${v.publications[0].nodeId}; its access mode allows one node`);
          }
          const publication: Publication = { nodeId, readOnly, capabilityKey: key, initiators };
          // Intent first: recorded, then bound; reconcile binds it if we crash in between.
          v.publications.push(publication);
          state.save();
        }
        await driver.syncAcls(v, await driver.currentAcls(v));
        return { publishContext: context };
      });
    },

    async ControllerUnpublishVolume(req) {
      const id = requireString(req.volumeId, 'volume_id');
      const nodeId = req.nodeId ?? '';
      const v = VOLUME_ID.test(id) ? state.volumes.get(id) : undefined;
      // Unknown volume or node: it is not published there, which is what the caller wants.
      if (!v || v.status !== 'ready') return {};
      return driver.locks.withLocks([id], 'ControllerUnpublishVolume', async () => {
        const before = v.publications.length;
        v.publications = v.publications.filter((p) => nodeId !== '' && p.nodeId !== nodeId);
        if (v.publications.length !== before) state.save();
        await driver.syncAcls(v, await driver.currentAcls(v));
        return {};
      });
    },

    async ValidateVolumeCapabilities(req) {
      const v = driver.volume(requireString(req.volumeId, 'volume_id'));
      if (!req.volumeCapabilities || req.volumeCapabilities.length === 0) throw invalidArgument('volume_capabilities is required');
      for (const [key, value] of Object.entries(req.parameters ?? {})) {
        const actual = key === 'pool' ? v.pool : key === 'fsType' ? v.fsType : undefined;
        if (actual === undefined || value !== actual) return { message: `parameter ${key}=${value} does not match the volume` };
      }
      for (const cap of req.volumeCapabilities) {
        const problem = capabilityProblem(cap);
        if (problem) return { message: problem };
        if (accessTypeOf(cap) !== v.accessType) return { message: `volume is a ${v.accessType} volume` };
        if (cap.mount?.fsType && v.fsType && cap.mount.fsType !== v.fsType) return { message: `volume holds ${v.fsType}` };
      }
      return { confirmed: { volumeContext: req.volumeContext, volumeCapabilities: req.volumeCapabilities, parameters: req.parameters } };
    },

    async ListVolumes(req) {
      const all = [...state.volumes.values()].filter((v) => v.status === 'ready').sort((a, b) => a.id.localeCompare(b.id));
      const { start, end } = parsePaging(req.startingToken ?? '', req.maxEntries ?? 0, all.length);
      return {
        entries: all
          .slice(start, end)
          .map((v) => ({ volume: toVolume(v), status: { publishedNodeIds: v.publications.map((p) => p.nodeId), volumeCondition: condition(v) } })),
        nextToken: end < all.length ? String(end) : '',
      };
    },

    async ControllerGetVolume(req) {
      const v = driver.volume(requireString(req.volumeId, 'volume_id'));
      return { volume: toVolume(v), status: { publishedNodeIds: v.publications.map((p) => p.nodeId), volumeCondition: condition(v) } };
    },

    async GetCapacity(req) {
      checkParameters(req.parameters ?? {});
      const wanted = req.parameters?.pool;
      const pools = wanted ? [driver.pool(wanted)] : [...driver.pools.values()];
      for (const cap of req.volumeCapabilities ?? []) {
        if (capabilityProblem(cap)) return { availableCapacity: '0', maximumVolumeSize: null, minimumVolumeSize: null };
      }
      const free = pools.map((p) => driver.availableBytes(p));
      return {
        availableCapacity: String(free.reduce((a, b) => a + b, 0)),
        maximumVolumeSize: { value: String(Math.max(0, ...free)) },
        minimumVolumeSize: { value: String(1024 * 1024) },
      };
    },

    ...snapshotRpcs<SnapshotRecord, VolumeRecord>({
      locks: driver.locks,
      log: driver.log,
      store: () => driver.cstate,
      idPattern: SNAPSHOT_ID,
      newId: newSnapshotId,
      volume: (id) => driver.volume(id),
      checkParameters: (parameters) => {
        for (const key of Object.keys(parameters)) throw invalidArgument(`unknown snapshot parameter ${JSON.stringify(key)}`);
      },
      plan: (v) => {
        const pool = driver.pool(v.pool);
        if (v.capacityBytes > driver.availableBytes(pool)) throw resourceExhausted(`pool ${pool.name} cannot hold another ${v.capacityBytes} bytes`);
        return {
          record: (base) => ({ ...base, pool: pool.name, accessType: v.accessType, fsType: v.fsType }),
          // A reflink clone is atomic against tgtd's writes: the snapshot is crash-consistent.
          take: (s) => pool.copy(pool.volumeFile(v.id), pool.snapshotFile(s.id)),
        };
      },
      destroy: (s) => driver.destroySnapshot(s),
    }),

    /**
     * OFFLINE expansion: the backing file grows and the LUN is re-created so tgtd reports the new size. A
     * volume published to a node is refused (the user-space initiator only learns a size when it attaches);
     * the filesystem grows on the node at the next NodeStage / NodeExpandVolume.
     */
    async ControllerExpandVolume(req) {
      const id = requireString(req.volumeId, 'volume_id');
      if (!req.capacityRange) throw invalidArgument('capacity_range is required');
      const v = driver.volume(id);
      if (req.volumeCapability) {
        const problem = capabilityProblem(req.volumeCapability);
        if (problem) throw invalidArgument(problem);
      }
      const size = resolveCapacity(req.capacityRange, v.capacityBytes, v.capacityBytes);
      return driver.locks.withLocks([id], 'ControllerExpandVolume', async () => {
        if (size <= v.capacityBytes) return { capacityBytes: String(v.capacityBytes), nodeExpansionRequired: v.accessType === 'mount' };
        if (v.publications.length > 0) {
          throw failedPrecondition(
            `volume ${id} is published to ${v.publications.map((p) => p.nodeId).join(', ')}; this driver expands volumes offline — unpublish first`,
          );
        }
        const pool = driver.pool(v.pool);
        const free = driver.availableBytes(pool);
        if (size - v.capacityBytes > free) throw resourceExhausted(`pool ${pool.name} has ${free} bytes free, expansion needs ${size - v.capacityBytes}`);
        const targets = await driver.tgt.show();
        const t = targets.find((x) => x.iqn === driver.iqnOf(id));
        if (t && t.sessions.length > 0) throw failedPrecondition(`volume ${id} still has initiators logged in: ${t.sessions.join(', ')}`);
        pool.grow(pool.volumeFile(id), size);
        v.capacityBytes = size;
        state.save();
        // tgtd reads a LUN's size when the LUN is created: re-create it over the grown file.
        if (t) {
          await driver.tgt.deleteLun(t.tid, DATA_LUN);
          t.luns = t.luns.filter((l) => l.lun !== DATA_LUN);
        }
        await driver.ensureTarget(v, targets);
        return { capacityBytes: String(size), nodeExpansionRequired: v.accessType === 'mount' };
      });
    },
  };
}
