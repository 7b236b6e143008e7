import type { BackupView } from '../server/data-protection/backup-views';
import { BACKUP_ID, type Items, type Message, NAME, NO_QUERY, REPOSITORY, byName } from './fields';
import { route } from './schema';

export type { BackupView };

const byBackupId = { type: 'object', required: ['id'], properties: { id: BACKUP_ID } } as const;

export const createBackup = route<BackupView>()({
  method: 'POST',
  url: '/v1/apps/:name/backups',
  status: 202,
  summary: 'start a backup of an app (poll GET /v1/backups/:id)',
  schema: { params: byName, querystring: NO_QUERY, body: { type: 'object', additionalProperties: false, properties: { repository: REPOSITORY } } },
});
export const listBackups = route<Items<BackupView>>()({
  method: 'GET',
  url: '/v1/backups',
  summary: 'backup records, plus backups found only in a repository',
  schema: { querystring: { type: 'object', additionalProperties: false, properties: { app: NAME } } },
});
export const getBackup = route<BackupView>()({
  method: 'GET',
  url: '/v1/backups/:id',
  summary: 'one backup, with progress',
  schema: { params: byBackupId, querystring: NO_QUERY },
});
export const deleteBackup = route<Message>()({
  method: 'DELETE',
  url: '/v1/backups/:id',
  summary: 'delete a backup (data reclaimed by prune)',
  schema: { params: byBackupId, querystring: NO_QUERY },
});
