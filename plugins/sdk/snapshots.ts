import type { ControllerHandlers } from '../../proto/csi/generated/csi/v1/Controller';
import type { Snapshot } from '../../proto/csi/generated/csi/v1/Snapshot';
import type { Logger } from '../../lib/logging/logger';
import { alreadyExists, notFound } from './errors';
import type { AsyncService } from './handler';
import type { OperationLocks } from './locks';
import { parsePaging } from './paging';
import { findByName, RecordStatus } from './state-store';
import { requireString } from './validate';

/** What every plugin records of a snapshot; a plugin's record adds where it lies (pool, access type…). */
export interface SnapshotRecordBase {
  id: string;
  name: string;
  sourceVolumeId: string;
  sizeBytes: number;
  status: RecordStatus;
  createdAtMs: number;
}

/** Where a plugin keeps its snapshot records. */
export interface SnapshotStore<S extends SnapshotRecordBase> {
  readonly snapshots: Map<string, S>;
  save(): void;
}

/** How one snapshot of a source volume is taken: its record, then the copy. */
export interface SnapshotPlan<S extends SnapshotRecordBase> {
  record(base: SnapshotRecordBase): S;
  take(record: S): Promise<void>;
}

/** What a plugin supplies to get the snapshot RPCs; the RPCs' behaviour is the same for every plugin. */
export interface SnapshotBackend<S extends SnapshotRecordBase, V extends { id: string; capacityBytes: number }> {
  readonly locks: OperationLocks;
  readonly log: Logger;
  /** A function: a plugin may keep controller records only when its controller runs in this process. */
  store(): SnapshotStore<S>;
  /** The shape of this plugin's snapshot ids: others cannot name one of its snapshots. */
  readonly idPattern: RegExp;
  newId(): string;
  /** The ready source volume, NOT_FOUND otherwise. */
  volume(id: string): V;
  /** Refuses parameters the plugin does not take; left out, CreateSnapshot ignores parameters. */
  checkParameters?(parameters: Record<string, string>): void;
  /** Checks that a snapshot of `source` can be taken now (pool, space) and says how; runs before any lock is taken. */
  plan(source: V): SnapshotPlan<S>;
  /** Removes a snapshot's data and record (also the rollback of a take that failed). */
  destroy(record: S): Promise<void>;
}

export type SnapshotRpcs = Required<Pick<AsyncService<ControllerHandlers>, 'CreateSnapshot' | 'DeleteSnapshot' | 'ListSnapshots' | 'GetSnapshot'>>;

export function toCsiSnapshot(s: SnapshotRecordBase): Snapshot {
  return {
    snapshotId: s.id,
    sourceVolumeId: s.sourceVolumeId,
    sizeBytes: String(s.sizeBytes),
    creationTime: { seconds: String(Math.floor(s.createdAtMs / 1000)), nanos: (s.createdAtMs % 1000) * 1e6 },
    readyToUse: true,
  };
}

/** Looks a snapshot up; ids of the wrong shape cannot exist, so they are NOT_FOUND without touching a path. */
export function readySnapshot<S extends SnapshotRecordBase>(snapshots: Map<string, S>, idPattern: RegExp, id: string): S {
  const s = idPattern.test(id) ? snapshots.get(id) : undefined;
  if (!s || s.status !== 'ready') throw notFound(`snapshot ${JSON.stringify(id)} not found`);
  return s;
}

/**
 * Removes a snapshot: `deleting` is written first, so a crash while its data goes leaves a record the
 * next start finishes; the record goes once the data is gone.
 */
export async function destroySnapshotRecord<S extends SnapshotRecordBase>(
  store: SnapshotStore<S>,
  s: S,
  removeData: () => Promise<void> | void,
): Promise<void> {
  s.status = 'deleting';
  store.save();
  await removeData();
  store.snapshots.delete(s.id);
  store.save();
}

/**
 * CreateSnapshot, DeleteSnapshot, ListSnapshots and GetSnapshot, the same for every plugin: a retried
 * name answers the snapshot it made (ALREADY_EXISTS for another source), the record is written
 * `creating` before the copy and rolled back if the copy fails, ids of another shape are NOT_FOUND
 * (GetSnapshot) or already deleted (DeleteSnapshot), and lists page over a stable order.
 */
export function snapshotRpcs<S extends SnapshotRecordBase, V extends { id: string; capacityBytes: number }>(backend: SnapshotBackend<S, V>): SnapshotRpcs {
  return {
    async CreateSnapshot(req) {
      const name = requireString(req.name, 'name');
      const sourceId = requireString(req.sourceVolumeId, 'source_volume_id');
      backend.checkParameters?.(req.parameters ?? {});
      const store = backend.store();
      const existing = findByName(store.snapshots, name);
      if (existing && existing.status === 'ready') {
        if (existing.sourceVolumeId !== sourceId)
          throw alreadyExists(`snapshot ${JSON.stringify(name)} exists for another volume (${existing.sourceVolumeId})`);
        return { snapshot: toCsiSnapshot(existing) };
      }
      const v = backend.volume(sourceId);
      const plan = backend.plan(v);
      return backend.locks.withLocks([`snapname:${name}`, v.id], 'CreateSnapshot', async () => {
        const record = plan.record({
          id: backend.newId(),
          name,
          sourceVolumeId: v.id,
          sizeBytes: v.capacityBytes,
          status: 'creating',
          createdAtMs: Date.now(),
        });
        // Intent first: a crash after this line leaves a record that the next start rolls back.
        store.snapshots.set(record.id, record);
        store.save();
        try {
          await plan.take(record);
          record.status = 'ready';
          store.save();
        } catch (error) {
          await backend.destroy(record).catch((e: unknown) => backend.log.error({ err: e, snapshotId: record.id }, 'rollback failed'));
          throw error;
        }
        return { snapshot: toCsiSnapshot(record) };
      });
    },

    async DeleteSnapshot(req) {
      const id = requireString(req.snapshotId, 'snapshot_id');
      const s = backend.idPattern.test(id) ? backend.store().snapshots.get(id) : undefined;
      if (!s) return {}; // deleting what does not exist has succeeded already
      return backend.locks.withLocks([id], 'DeleteSnapshot', async () => {
        await backend.destroy(s);
        return {};
      });
    },

    async ListSnapshots(req) {
      let all = [...backend.store().snapshots.values()].filter((s) => s.status === 'ready');
      if (req.snapshotId) all = all.filter((s) => s.id === req.snapshotId);
      if (req.sourceVolumeId) all = all.filter((s) => s.sourceVolumeId === req.sourceVolumeId);
      all.sort((a, b) => a.id.localeCompare(b.id));
      const { start, end } = parsePaging(req.startingToken ?? '', req.maxEntries ?? 0, all.length);
      return { entries: all.slice(start, end).map((s) => ({ snapshot: toCsiSnapshot(s) })), nextToken: end < all.length ? String(end) : '' };
    },

    async GetSnapshot(req) {
      const id = requireString(req.snapshotId, 'snapshot_id');
      return { snapshot: toCsiSnapshot(readySnapshot(backend.store().snapshots, backend.idPattern, id)) };
    },
  };
}
