import type { FastifyInstance } from 'fastify';
import { createBackup, deleteBackup, getBackup, listBackups } from '../../../api';
import type { ApiServices } from '../services';
import { serve } from '../serve';

/**
 * Backups: starting one answers 202 with the record (poll it for progress); the list holds this
 * cluster's records and backups found only in a repository; deleting one removes its manifest (the
 * data is reclaimed by `repo prune`). Nothing here returns a passphrase or a storage-class secret.
 */
export function registerBackupRoutes(app: FastifyInstance, { backups }: ApiServices): void {
  serve(app, createBackup, async ({ params, body }) => backups.create(params.name, { repository: body.repository }));
  serve(app, listBackups, async ({ query }) => ({ items: await backups.list(query.app) }));
  serve(app, getBackup, async ({ params }) => backups.get(params.id));
  serve(app, deleteBackup, async ({ params }) => ({ message: await backups.delete(params.id) }));
}
