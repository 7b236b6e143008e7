import { existsSync } from 'node:fs';
import { alreadyExists, failedPrecondition, invalidArgument, notFound, outOfRange, resourceExhausted } from '../sdk/errors';
import { crashPoint } from '../../lib/failpoints/failpoints';
import { AsyncService } from '../sdk/handler';
import { requireString } from '../sdk/validate';
import type { ControllerHandlers } from '../../proto/csi/generated/csi/v1/Controller';
import type { Volume } from '../../proto/csi/generated/csi/v1/Volume';
import { capabilityKey, capabilityProblem, capacityFits, isReadOnlyMode, isSingleNode, requireCapabilities, resolveCapacity } from './capabilities';
import { NfsDriver } from './driver';
import { SQUASH_VALUES, Squash } from './ganesha-config';
import { newSnapshotId, newVolumeId, SNAPSHOT_ID, VOLUME_ID } from './ids';
import { resolveNodeAddress } from './node-address';
import { ControllerPublication, SnapshotRecord, VolumeRecord } from './state';
import { parsePaging } from '../sdk/paging';
import { controllerCapabilities, PUBLISHING_CONTROLLER_CAPABILITIES } from '../sdk/service-capabilities';
import { snapshotRpcs } from '../sdk/snapshots';

/** StorageClass parameters this driver understands. Anything else is refused, never passed on. */
const KNOWN_PARAMETERS = new Set(['squash']);

/** Checks parameter names and values; returns the export's squash mode. */
export function parseParameters(parameters: Record<string, string>): Squash {
  for (const key of Object.keys(parameters)) {
    if (!KNOWN_PARAMETERS.has(key)) throw invalidArgument(`unknown parameter ${JSON.stringify(key)} (known: ${[...KNOWN_PARAMETERS].join(', ')})`);
  }
  const squash = parameters.squash ?? 'no_root_squash';
  const value = Object.hasOwn(SQUASH_VALUES, squash) ? SQUASH_VALUES[squash] : undefined;
  if (!value) throw invalidArgument(`parameter squash must be one of ${Object.keys(SQUASH_VALUES).join(', ')}`);
  return value;
}

function toVolume(driver: NfsDriver, v: VolumeRecord): Volume {
  return {
    volumeId: v.id,
    capacityBytes: String(v.capacityBytes),
    // What a node needs to mount the volume: `mount -t nfs server:share`. The same path serves NFSv3 and v4.
    volumeContext: { server: driver.options.serverAddress, share: driver.controller.root.exportPath(v.id) },
    contentSource: v.source?.snapshotId
      ? { snapshot: { snapshotId: v.source.snapshotId } }
      : v.source?.volumeId
        ? { volume: { volumeId: v.source.volumeId } }
        : null,
  };
}

function volumeCondition(driver: NfsDriver, v: VolumeRecord) {
  const healthy = existsSync(driver.controller.root.volumePath(v.id));
  return { abnormal: !healthy, message: healthy ? 'volume is healthy' : 'volume data is missing from the export root' };
}

export function nfsController(driver: NfsDriver): AsyncService<ControllerHandlers> {
  const { state } = driver;
  const root = () => driver.controller.root;

  return {
    async ControllerGetCapabilities() {
      return controllerCapabilities(PUBLISHING_CONTROLLER_CAPABILITIES);
    },

    async CreateVolume(req) {
      const name = requireString(req.name, 'name');
      const parameters = req.parameters ?? {};
      const squash = parseParameters(parameters);
      requireCapabilities(req.volumeCapabilities);
      const size = resolveCapacity(req.capacityRange, driver.options.defaultVolumeBytes);
      const source = req.volumeContentSource;
      const sourceSnapshot = source?.snapshot
        ? driver.snapshot(requireString(source.snapshot.snapshotId, 'volume_content_source.snapshot.snapshot_id'))
        : undefined;
      const sourceVolume = source?.volume ? driver.volume(requireString(source.volume.volumeId, 'volume_content_source.volume.volume_id')) : undefined;

      const existing = state.volumeByName(name);
      if (existing && existing.status === 'ready') {
        const sameSource = (existing.source?.snapshotId ?? '') === (sourceSnapshot?.id ?? '') && (existing.source?.volumeId ?? '') === (sourceVolume?.id ?? '');
        if (!sameSource || existing.squash !== squash || !capacityFits(existing.capacityBytes, req.capacityRange)) {
          throw alreadyExists(`volume ${JSON.stringify(name)} exists (${existing.id}) with different capacity, parameters or source`);
        }
        return { volume: toVolume(driver, existing) };
      }
      const sourceBytes = sourceSnapshot ? sourceSnapshot.sizeBytes : sourceVolume ? sourceVolume.capacityBytes : 0;
      if (size < sourceBytes) throw outOfRange(`requested ${size} bytes is smaller than the source's ${sourceBytes} bytes`);
      const free = driver.availableBytes();
      if (size > free) throw resourceExhausted(`the export root has ${free} bytes free, volume needs ${size}`);

      return driver.locks.withLocks([`name:${name}`], 'CreateVolume', async () => {
        const record: VolumeRecord = {
          id: newVolumeId(),
          name,
          capacityBytes: size,
          status: 'creating',
          parameters: { ...parameters },
          squash,
          exportId: state.freeExportId(),
          publications: [],
          createdAt: new Date().toISOString(),
          source: sourceSnapshot ? { snapshotId: sourceSnapshot.id } : sourceVolume ? { volumeId: sourceVolume.id } : undefined,
        };
        // Intent first: a crash after this line leaves a record that the next start rolls back.
        state.volumes.set(record.id, record);
        state.save();
        try {
          if (sourceSnapshot) await root().createVolumeFrom(record.id, root().snapshotPath(sourceSnapshot.id));
          else if (sourceVolume) await root().createVolumeFrom(record.id, root().volumePath(sourceVolume.id));
          else await root().createVolume(record.id);
          crashPoint('nfs.create-volume.after-subvolume');
          await root().setLimit(record.id, size);
          await root().mountExport(record.id);
          record.status = 'ready';
          state.save();
          crashPoint('nfs.create-volume.before-export');
          await driver.syncExportsFor(record);
        } catch (error) {
          await driver.destroyVolume(record).catch((e: unknown) => driver.log.error({ err: e, volumeId: record.id }, 'rollback failed'));
          throw error;
        }
        return { volume: toVolume(driver, record) };
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
        await driver.destroyVolume(v);
        return {};
      });
    },

    async ControllerPublishVolume(req) {
      const id = requireString(req.volumeId, 'volume_id');
      const nodeId = requireString(req.nodeId, 'node_id');
      const cap = req.volumeCapability;
      if (!cap) throw invalidArgument('volume_capability is required');
      const problem = capabilityProblem(cap);
      if (problem) throw invalidArgument(problem);
      const v = driver.volume(id);
      const address = resolveNodeAddress(nodeId, driver.options.nodeAddresses);
      if (address === undefined) throw notFoundNode(nodeId);
      const readOnly = Boolean(req.readonly) || isReadOnlyMode(cap);
      const key = capabilityKey(cap);
      return driver.locks.withLocks([id], 'ControllerPublishVolume', async () => {
        const publishContext = { address };
        const existing = v.publications.find((p) => p.nodeId === nodeId);
        if (existing) {
          if (existing.readOnly !== readOnly || existing.capabilityKey !== key) {
            throw alreadyExists(`volume ${id} is already published to node ${nodeId} with a different capability or read-only flag`);
          }
          await driver.syncExportsFor(v); // a retry after a failed reload reloads again
          return { publishContext };
        }
        const others = v.publications.filter((p) => p.nodeId !== nodeId);
        if (others.length > 0 && (isSingleNode(cap) || others.some((p) => p.singleNode))) {
          throw failedPrecondition(`volume ${id} has a single-node access mode and is published to node ${others[0].nodeId}`);
        }
        const publication: ControllerPublication = { nodeId, address, readOnly, capabilityKey: key, singleNode: isSingleNode(cap) };
        v.publications.push(publication);
        state.save();
        await driver.syncExportsFor(v);
        return { publishContext };
      });
    },

    async ControllerUnpublishVolume(req) {
      const id = requireString(req.volumeId, 'volume_id');
      const nodeId = req.nodeId ?? '';
      // Unknown volume or node: it is not published there, which is what the caller wants (spec: OK).
      const v = VOLUME_ID.test(id) ? state.volumes.get(id) : undefined;
      if (!v || v.status !== 'ready') return {};
      return driver.locks.withLocks([id], 'ControllerUnpublishVolume', async () => {
        const keep = nodeId === '' ? [] : v.publications.filter((p) => p.nodeId !== nodeId);
        if (keep.length === v.publications.length) return {};
        v.publications = keep;
        state.save();
        await driver.syncExports();
        return {};
      });
    },

    async ValidateVolumeCapabilities(req) {
      const v = driver.volume(requireString(req.volumeId, 'volume_id'));
      if (!req.volumeCapabilities || req.volumeCapabilities.length === 0) throw invalidArgument('volume_capabilities is required');
      for (const [key, value] of Object.entries(req.parameters ?? {})) {
        if (!KNOWN_PARAMETERS.has(key) || (key === 'squash' && SQUASH_VALUES[value] !== v.squash)) {
          return { message: `parameter ${key} does not match the volume` };
        }
      }
      for (const cap of req.volumeCapabilities) {
        const problem = capabilityProblem(cap);
        if (problem) return { message: problem };
      }
      return { confirmed: { volumeContext: req.volumeContext, volumeCapabilities: req.volumeCapabilities, parameters: req.parameters } };
    },

    async ListVolumes(req) {
      const all = [...state.volumes.values()].filter((v) => v.status === 'ready').sort((a, b) => a.id.localeCompare(b.id));
      const { start, end } = parsePaging(req.startingToken ?? '', req.maxEntries ?? 0, all.length);
      return {
        entries: all.slice(start, end).map((v) => ({
          volume: toVolume(driver, v),
          status: { publishedNodeIds: v.publications.map((p) => p.nodeId), volumeCondition: volumeCondition(driver, v) },
        })),
        nextToken: end < all.length ? String(end) : '',
      };
    },

    async ControllerGetVolume(req) {
      const v = driver.volume(requireString(req.volumeId, 'volume_id'));
      return { volume: toVolume(driver, v), status: { publishedNodeIds: v.publications.map((p) => p.nodeId), volumeCondition: volumeCondition(driver, v) } };
    },

    async GetCapacity(req) {
      parseParameters(req.parameters ?? {});
      for (const cap of req.volumeCapabilities ?? []) {
        if (capabilityProblem(cap)) return { availableCapacity: '0', maximumVolumeSize: null, minimumVolumeSize: null };
      }
      const free = driver.availableBytes();
      return { availableCapacity: String(free), maximumVolumeSize: { value: String(free) }, minimumVolumeSize: { value: '4096' } };
    },

    ...snapshotRpcs<SnapshotRecord, VolumeRecord>({
      locks: driver.locks,
      log: driver.log,
      store: () => state,
      idPattern: SNAPSHOT_ID,
      newId: newSnapshotId,
      volume: (id) => driver.volume(id),
      plan: (v) => ({ record: (base) => base, take: (s) => root().createSnapshot(v.id, s.id) }),
      destroy: (s) => driver.destroySnapshot(s),
    }),

    async ControllerExpandVolume(req) {
      const id = requireString(req.volumeId, 'volume_id');
      if (!req.capacityRange) throw invalidArgument('capacity_range is required');
      const v = driver.volume(id);
      if (req.volumeCapability) {
        const problem = capabilityProblem(req.volumeCapability);
        if (problem) throw invalidArgument(problem);
      }
      const size = resolveCapacity(req.capacityRange, v.capacityBytes);
      if (size <= v.capacityBytes) return { capacityBytes: String(v.capacityBytes), nodeExpansionRequired: false };
      return driver.locks.withLocks([id], 'ControllerExpandVolume', async () => {
        const free = driver.availableBytes();
        if (size - v.capacityBytes > free) throw resourceExhausted(`the export root has ${free} bytes free, expansion needs ${size - v.capacityBytes}`);
        await root().setLimit(v.id, size);
        v.capacityBytes = size;
        state.save();
        // The quota lives on the server; NFS clients see the new limit at once.
        return { capacityBytes: String(size), nodeExpansionRequired: false };
      });
    },
  };
}

function notFoundNode(nodeId: string) {
  return notFound(`node ${JSON.stringify(nodeId)} is unknown: give --node-address ${nodeId}=IP or use the node's IP address as its id`);
}
