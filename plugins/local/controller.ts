import { run } from '../../lib/exec/run';
import { alreadyExists, failedPrecondition, invalidArgument, outOfRange, resourceExhausted } from '../sdk/errors';
import { crashPoint } from '../../lib/failpoints/failpoints';
import { AsyncService } from '../sdk/handler';
import { requireString } from '../sdk/validate';
import type { ControllerHandlers } from '../../proto/csi/generated/csi/v1/Controller';
import type { Volume } from '../../proto/csi/generated/csi/v1/Volume';
import type { Topology__Output } from '../../proto/csi/generated/csi/v1/Topology';
import { accessTypeOf, capabilityProblem, capacityFits, requireCapabilities, resolveCapacity } from './capabilities';
import { LocalDriver } from './driver';
import { TOPOLOGY_NODE_KEY } from './driver-config';
import { newSnapshotId, newVolumeId, SNAPSHOT_ID } from './ids';
import { Pool } from './pool';
import { SnapshotRecord, VolumeRecord } from './state';
import { parsePaging } from '../sdk/paging';
import { controllerCapabilities, VOLUME_CONTROLLER_CAPABILITIES } from '../sdk/service-capabilities';
import { snapshotRpcs } from '../sdk/snapshots';
import { ensurePrivateFile } from '../../lib/files/private-files';

const KNOWN_PARAMETERS = new Set(['pool']);

/** The filesystem a pool presents to mount volumes (what fs_type may say). */
export const poolFsType = (pool: Pool): string => (pool.kind === 'btrfs' ? 'btrfs' : 'ext4');

function toVolume(driver: LocalDriver, v: VolumeRecord): Volume {
  return {
    volumeId: v.id,
    capacityBytes: String(v.capacityBytes),
    volumeContext: { pool: v.pool, accessType: v.accessType },
    contentSource: v.source?.snapshotId
      ? { snapshot: { snapshotId: v.source.snapshotId } }
      : v.source?.volumeId
        ? { volume: { volumeId: v.source.volumeId } }
        : null,
    accessibleTopology: [driver.topology()],
  };
}

/** A requisite/preferred topology this node is not part of cannot be served by this controller. */
function topologyAllowsNode(driver: LocalDriver, requisite: Topology__Output[] | undefined): boolean {
  if (!requisite || requisite.length === 0) return true;
  return requisite.some((t) => {
    const node = t.segments?.[TOPOLOGY_NODE_KEY];
    return node === undefined || node === driver.nodeId;
  });
}

export function localController(driver: LocalDriver): AsyncService<ControllerHandlers> {
  return {
    async ControllerGetCapabilities() {
      return controllerCapabilities(VOLUME_CONTROLLER_CAPABILITIES);
    },

    async CreateVolume(req) {
      const name = requireString(req.name, 'name');
      const parameters = req.parameters ?? {};
      for (const key of Object.keys(parameters)) {
        if (!KNOWN_PARAMETERS.has(key)) throw invalidArgument(`unknown parameter ${JSON.stringify(key)} (known: ${[...KNOWN_PARAMETERS].join(', ')})`);
      }
      const source = req.volumeContentSource;
      // A volume of this name made from this very source is answered even when the source is gone since:
      // whoever repeats the request (a cleanup learning the id of a clone it must delete) must find it,
      // not be told that the snapshot no longer exists.
      const made = source ? driver.state.volumeByName(name) : undefined;
      if (
        made?.status === 'ready' &&
        (made.source?.snapshotId ?? '') === (source?.snapshot?.snapshotId ?? '') &&
        (made.source?.volumeId ?? '') === (source?.volume?.volumeId ?? '') &&
        (!parameters.pool || parameters.pool === made.pool) &&
        capacityFits(made.capacityBytes, req.capacityRange) &&
        (req.volumeCapabilities?.length ?? 0) > 0 &&
        req.volumeCapabilities!.every((c) => accessTypeOf(c) === made.accessType)
      ) {
        return { volume: toVolume(driver, made) };
      }
      const sourceSnapshot = source?.snapshot
        ? driver.snapshot(requireString(source.snapshot.snapshotId, 'volume_content_source.snapshot.snapshot_id'))
        : undefined;
      const sourceVolume = source?.volume ? driver.volume(requireString(source.volume.volumeId, 'volume_content_source.volume.volume_id')) : undefined;
      const poolName = parameters.pool ?? sourceSnapshot?.pool ?? sourceVolume?.pool ?? driver.defaultPool.name;
      const pool = driver.pool(poolName);
      const accessType = requireCapabilities(req.volumeCapabilities, poolFsType(pool));
      const size = resolveCapacity(req.capacityRange, driver.options.defaultVolumeBytes);

      // Same name, same volume: asked again (a retry, the server and an agent both asking), answer with it.
      const existingAnswer = () => {
        const existing = driver.state.volumeByName(name);
        if (!existing || existing.status !== 'ready') return undefined;
        const sameSource = (existing.source?.snapshotId ?? '') === (sourceSnapshot?.id ?? '') && (existing.source?.volumeId ?? '') === (sourceVolume?.id ?? '');
        if (existing.pool !== pool.name || existing.accessType !== accessType || !sameSource || !capacityFits(existing.capacityBytes, req.capacityRange)) {
          throw alreadyExists(`volume ${JSON.stringify(name)} exists (${existing.id}) with different capacity, pool, access type or source`);
        }
        return { volume: toVolume(driver, existing) };
      };
      const answered = existingAnswer();
      if (answered) return answered;
      if (!topologyAllowsNode(driver, req.accessibilityRequirements?.requisite)) {
        throw resourceExhausted(`this plugin provisions only on node ${driver.nodeId}, which the requisite topology excludes`);
      }
      const sourceRecord = sourceSnapshot ?? sourceVolume;
      if (sourceRecord) {
        if (sourceRecord.pool !== pool.name) throw invalidArgument(`content source is in pool ${sourceRecord.pool}; a clone must be in the same pool`);
        const sourceAccess = sourceRecord.accessType;
        if (sourceAccess !== accessType) throw invalidArgument(`content source is a ${sourceAccess} volume; cannot create a ${accessType} volume from it`);
        const sourceBytes = sourceSnapshot ? sourceSnapshot.sizeBytes : (sourceVolume?.capacityBytes ?? 0);
        if (size < sourceBytes) throw outOfRange(`requested ${size} bytes is smaller than the source's ${sourceBytes} bytes`);
      }
      const free = driver.availableBytes(pool);
      if (size > free) throw resourceExhausted(`pool ${pool.name} has ${free} bytes free, volume needs ${size}`);

      return driver.locks.withLocks([`name:${name}`], 'CreateVolume', async () => {
        // Again under the lock: a call for this name may have finished between the look above and now.
        const meanwhile = existingAnswer();
        if (meanwhile) return meanwhile;
        const record: VolumeRecord = {
          id: newVolumeId(),
          name,
          pool: pool.name,
          capacityBytes: size,
          accessType,
          status: 'creating',
          parameters: { ...parameters },
          createdAt: new Date().toISOString(),
          source: sourceSnapshot ? { snapshotId: sourceSnapshot.id } : sourceVolume ? { volumeId: sourceVolume.id } : undefined,
        };
        // Intent first: a crash after this line leaves a record that the next start rolls back.
        driver.state.volumes.set(record.id, record);
        driver.state.save();
        try {
          if (sourceSnapshot) await pool.createVolumeFrom(record.id, pool.snapshotPath(sourceSnapshot.id));
          else if (sourceVolume) await pool.createVolumeFrom(record.id, pool.volumePath(sourceVolume.id));
          else await pool.createVolume(record.id);
          crashPoint('local.create-volume.after-subvolume');
          if (accessType === 'block') {
            ensurePrivateFile(pool.blockImagePath(record.id));
            await run('truncate', ['-s', String(size), pool.blockImagePath(record.id)]);
          } else await pool.setLimit(record.id, size);
          record.status = 'ready';
          driver.state.save();
        } catch (error) {
          await driver.destroyVolume(record).catch((e: unknown) => driver.log.error({ err: e, volumeId: record.id }, 'rollback failed'));
          throw error;
        }
        return { volume: toVolume(driver, record) };
      });
    },

    async DeleteVolume(req) {
      const id = requireString(req.volumeId, 'volume_id');
      const v = /^vol-[0-9a-f]{16}$/.test(id) ? driver.state.volumes.get(id) : undefined;
      if (!v) return {}; // deleting what does not exist has succeeded already
      return driver.locks.withLocks([id], 'DeleteVolume', async () => {
        if (driver.state.stages.has(id) || driver.state.publicationsOf(id).length > 0) {
          throw failedPrecondition(`volume ${id} is still staged or published on node ${driver.nodeId}`);
        }
        await driver.destroyVolume(v);
        return {};
      });
    },

    async ValidateVolumeCapabilities(req) {
      const v = driver.volume(requireString(req.volumeId, 'volume_id'));
      if (!req.volumeCapabilities || req.volumeCapabilities.length === 0) throw invalidArgument('volume_capabilities is required');
      const pool = driver.pool(v.pool);
      for (const [key, value] of Object.entries(req.parameters ?? {})) {
        if (!KNOWN_PARAMETERS.has(key) || (key === 'pool' && value !== v.pool)) return { message: `parameter ${key}=${value} does not match the volume` };
      }
      for (const cap of req.volumeCapabilities) {
        const problem = capabilityProblem(cap, poolFsType(pool));
        if (problem) return { message: problem };
        if ((cap.block ? 'block' : 'mount') !== v.accessType) return { message: `volume is a ${v.accessType} volume` };
      }
      return { confirmed: { volumeContext: req.volumeContext, volumeCapabilities: req.volumeCapabilities, parameters: req.parameters } };
    },

    async ListVolumes(req) {
      const all = [...driver.state.volumes.values()].filter((v) => v.status === 'ready').sort((a, b) => a.id.localeCompare(b.id));
      const { start, end } = parsePaging(req.startingToken ?? '', req.maxEntries ?? 0, all.length);
      return {
        entries: all.slice(start, end).map((v) => ({ volume: toVolume(driver, v), status: { publishedNodeIds: [], volumeCondition: null } })),
        nextToken: end < all.length ? String(end) : '',
      };
    },

    async ControllerGetVolume(req) {
      const v = driver.volume(requireString(req.volumeId, 'volume_id'));
      const pool = driver.pool(v.pool);
      const healthy = pool.exists(pool.volumePath(v.id));
      const staged = driver.state.stages.has(v.id);
      return {
        volume: toVolume(driver, v),
        status: {
          publishedNodeIds: staged ? [driver.nodeId] : [],
          volumeCondition: { abnormal: !healthy, message: healthy ? 'volume is healthy' : `volume data is missing from pool ${pool.name}` },
        },
      };
    },

    async GetCapacity(req) {
      if (!topologyAllowsNode(driver, req.accessibleTopology ? [req.accessibleTopology] : undefined)) {
        return { availableCapacity: '0', maximumVolumeSize: null, minimumVolumeSize: null };
      }
      for (const key of Object.keys(req.parameters ?? {})) {
        if (!KNOWN_PARAMETERS.has(key)) throw invalidArgument(`unknown parameter ${JSON.stringify(key)}`);
      }
      const wanted = req.parameters?.pool;
      const pools = wanted ? [driver.pool(wanted)] : [...driver.pools.values()];
      for (const cap of req.volumeCapabilities ?? []) {
        for (const pool of pools) {
          if (capabilityProblem(cap, poolFsType(pool))) return { availableCapacity: '0', maximumVolumeSize: null, minimumVolumeSize: null };
        }
      }
      const free = pools.map((p) => driver.availableBytes(p));
      for (const p of pools) {
        if (!p.enforcesCapacity) driver.log.info({ pool: p.name }, 'GetCapacity: dir pool capacity is accounted, not enforced');
      }
      return {
        availableCapacity: String(free.reduce((a, b) => a + b, 0)),
        maximumVolumeSize: { value: String(Math.max(...free)) },
        minimumVolumeSize: { value: '4096' },
      };
    },

    ...snapshotRpcs<SnapshotRecord, VolumeRecord>({
      locks: driver.locks,
      log: driver.log,
      store: () => driver.state,
      idPattern: SNAPSHOT_ID,
      newId: newSnapshotId,
      volume: (id) => driver.volume(id),
      plan: (v) => {
        const pool = driver.pool(v.pool);
        return { record: (base) => ({ ...base, pool: pool.name, accessType: v.accessType }), take: (s) => pool.createSnapshot(v.id, s.id) };
      },
      destroy: (s) => driver.destroySnapshot(s),
    }),

    async ControllerExpandVolume(req) {
      const id = requireString(req.volumeId, 'volume_id');
      if (!req.capacityRange) throw invalidArgument('capacity_range is required');
      const v = driver.volume(id);
      const pool = driver.pool(v.pool);
      if (req.volumeCapability) {
        const problem = capabilityProblem(req.volumeCapability, poolFsType(pool));
        if (problem) throw invalidArgument(problem);
      }
      const size = resolveCapacity(req.capacityRange, v.capacityBytes);
      if (size <= v.capacityBytes) return { capacityBytes: String(v.capacityBytes), nodeExpansionRequired: false };
      return driver.locks.withLocks([id], 'ControllerExpandVolume', async () => {
        const free = driver.availableBytes(pool);
        if (size - v.capacityBytes > free) throw resourceExhausted(`pool ${pool.name} has ${free} bytes free, expansion needs ${size - v.capacityBytes}`);
        if (v.accessType === 'block') await run('truncate', ['-s', String(size), pool.blockImagePath(v.id)]);
        else await pool.setLimit(v.id, size);
        v.capacityBytes = size;
        driver.state.save();
        // A staged block volume's loop device must learn the new size on the node (NodeExpandVolume).
        return { capacityBytes: String(size), nodeExpansionRequired: v.accessType === 'block' };
      });
    },
  };
}
