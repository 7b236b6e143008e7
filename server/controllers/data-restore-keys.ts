import type { ClusterStore, StoreChange } from '../store/cluster-store';
import type { ClaimRecord, RestoreRecord } from '../store/records';

/**
 * The work keys of the data-restore controller. Two shapes:
 * - `<restoreId>`: the restore as a whole (its app and claims still there, finished, rolled back);
 * - `<restoreId>/<claimId>`: one volume to fill (restore ids never hold a '/', claim ids do).
 */
export type RestoreKey = { restoreId: string; claimId?: string };

export const volumeKey = (restoreId: string, claimId: string): string => `${restoreId}/${claimId}`;

export function parseRestoreKey(key: string): RestoreKey {
  const slash = key.indexOf('/');
  return slash < 0 ? { restoreId: key } : { restoreId: key.slice(0, slash), claimId: key.slice(slash + 1) };
}

/** A claim whose data comes from a backup and is not written yet: its instance must not start. */
export function awaitingData(claim: ClaimRecord | undefined): boolean {
  return claim?.dataSource?.kind === 'backup' && !claim.dataRestored;
}

const active = (r: RestoreRecord | undefined): boolean => r?.source.kind === 'backup' && (r.state === 'restoring' || r.state === 'rolling-back');

/** The volume key of a claim still waiting for its data, if it is one. */
function keyOfAwaiting(claim: ClaimRecord | undefined): string[] {
  return claim?.dataSource?.kind === 'backup' && awaitingData(claim) ? [volumeKey(claim.dataSource.restoreId, claim.id)] : [];
}

/** Volume keys of the claims of one instance that wait for their data (by index: most instances have none). */
function instanceKeys(store: ClusterStore, app: string, instance: number): string[] {
  return store.claims.where('awaitingData', `${app}/${instance}`).flatMap(keyOfAwaiting);
}

/**
 * The keys a committed change asks to look at again: what a volume's readiness to fill reads (its
 * claim bound, its instance's task provisioned, its volume ready, the node up) and what a restore's
 * outcome reads (its record, its claims, its app). Cheap by construction: a change that touches no
 * field those read maps to nothing before any lookup, and lookups go through ids and indexes.
 */
export function restoreKeysOf(store: ClusterStore, change: StoreChange): string[] {
  switch (change.kind) {
    case 'restore': {
      const { before, after } = change;
      if (!after || !active(after)) return [];
      // The volumes' own states are written by their syncs: only a new restore asks for its volumes.
      const keys = before?.state === after.state ? [] : [change.id];
      if (!before) keys.push(...after.volumes.filter((v) => v.state !== 'done').map((v) => volumeKey(after.id, v.claimId)));
      return keys;
    }
    case 'claim': {
      const { before, after } = change;
      const source = (after ?? before)?.dataSource;
      if (source?.kind !== 'backup' || (before?.dataRestored && after?.dataRestored)) return [];
      return [source.restoreId, volumeKey(source.restoreId, change.id)];
    }
    case 'task': {
      const { before, after } = change;
      const task = after ?? before;
      if (
        !task ||
        (before?.state === after?.state && before?.nodeId === after?.nodeId && before?.message === after?.message && before?.health === after?.health)
      )
        return [];
      // A restore whose data is in waits for its app's instances to run and be ready.
      const waitingRestores = store.restores.where('restoringApp', task.app).map((r) => r.id);
      return [...instanceKeys(store, task.app, task.instance), ...waitingRestores];
    }
    case 'volume': {
      const volume = change.after ?? change.before;
      return volume?.claimId ? keyOfAwaiting(store.claims.get(volume.claimId)) : [];
    }
    case 'node': {
      if (change.before?.state === change.after?.state) return [];
      const keys = new Set<string>();
      for (const v of store.volumes.where('node', change.id)) for (const k of keyOfAwaiting(v.claimId ? store.claims.get(v.claimId) : undefined)) keys.add(k);
      // Shared storage has no node of its own: it is written on its instance's node.
      for (const t of store.tasks.where('node', change.id)) for (const k of instanceKeys(store, t.app, t.instance)) keys.add(k);
      return [...keys];
    }
    case 'app': {
      const { before, after } = change;
      // An app being deleted fails its restore, or completes its rollback. Rare: the scan of restores is affordable.
      if (!before || (after && before.deleting === after.deleting)) return [];
      return store.restores
        .list()
        .filter((r) => r.app === change.id && active(r))
        .map((r) => r.id);
    }
    default:
      return [];
  }
}
