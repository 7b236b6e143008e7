import type { FastifyInstance } from 'fastify';
import { createRestore, getRestore, listRestores } from '../../../api';
import { restoreFromBackup } from '../../data-protection/backup-restore';
import { restoreFromSnapshot } from '../../data-protection/snapshot-restore';
import { badRequest, notFound } from '../http-errors';
import type { ApiServices } from '../services';
import { serve } from '../serve';

/**
 * Restores: from a recovery point (the app and its claims at once, volumes cloned from the snapshots,
 * no data copy) or from a backup (answers the restore record at once; the data follows, poll it).
 */
export function registerRestoreRoutes(app: FastifyInstance, { ctx, repositories, kick }: ApiServices): void {
  serve(app, createRestore, async ({ body }) => {
    if ((body.fromSnapshot === undefined) === (body.fromBackup === undefined)) throw badRequest('give exactly one of fromSnapshot and fromBackup');
    if (body.fromSnapshot !== undefined) {
      if (body.repository !== undefined || body.storageClassMap !== undefined) throw badRequest('repository and storageClassMap apply only to fromBackup');
      const result = restoreFromSnapshot(ctx, body.fromSnapshot, body.as);
      kick();
      return result;
    }
    const record = await restoreFromBackup(ctx, repositories, {
      backupId: body.fromBackup!,
      repository: body.repository,
      as: body.as,
      storageClassMap: body.storageClassMap,
    });
    kick();
    return record;
  });
  serve(app, listRestores, async () => ({ items: ctx.store.restores.list().sort((a, b) => a.createdAt.localeCompare(b.createdAt)) }));
  serve(app, getRestore, async ({ params }) => {
    const restore = ctx.store.restores.get(params.id);
    if (!restore) throw notFound(`restore ${params.id} not found`);
    return restore;
  });
}
