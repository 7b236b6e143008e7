import type { SnapshotRestoreResult } from '../server/data-protection/snapshot-restore';
import type { RestoreRecord } from '../server/store/records';
import { BACKUP_ID, byId, type Items, NAME, NO_QUERY, REPOSITORY } from './fields';
import { route } from './schema';

export type { RestoreRecord, SnapshotRestoreResult };

/**
 * { fromSnapshot, as? }: the app from a recovery point, no data copy — answers SnapshotRestoreResult.
 * { fromBackup, repository?, as?, storageClassMap? }: the app from a backup — answers the RestoreRecord
 * at once, the data follows (poll it). Exactly one of fromSnapshot and fromBackup.
 */
export const createRestore = route<RestoreRecord | SnapshotRestoreResult>()({
  method: 'POST',
  url: '/v1/restores',
  summary: 'create an app from a recovery point or from a backup',
  schema: {
    querystring: NO_QUERY,
    body: {
      type: 'object',
      additionalProperties: false,
      properties: {
        fromSnapshot: NAME,
        fromBackup: BACKUP_ID,
        repository: REPOSITORY,
        as: { type: 'string', minLength: 1, maxLength: 63 },
        storageClassMap: { type: 'object', maxProperties: 100, additionalProperties: { type: 'string', minLength: 1, maxLength: 253 } },
      },
    },
  },
});
export const listRestores = route<Items<RestoreRecord>>()({
  method: 'GET',
  url: '/v1/restores',
  summary: 'restores from backups and their progress',
  schema: { querystring: NO_QUERY },
});
export const getRestore = route<RestoreRecord>()({
  method: 'GET',
  url: '/v1/restores/:id',
  summary: 'one restore: state, message, bytes done per volume',
  schema: { params: byId, querystring: NO_QUERY },
});
