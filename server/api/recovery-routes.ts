import type { FastifyInstance } from 'fastify';
import { restoreFromBackup } from '../data-protection/backup-restore';
import type { ClusterContext } from '../cluster-context';
import { badRequest, notFound } from './http-errors';
import type { RecoveryPoints } from '../data-protection/recovery-points';
import type { Repositories } from '../data-protection/repositories';
import { restoreFromSnapshot } from '../data-protection/snapshot-restore';

const NAME = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$' } as const;

/**
 * Recovery points and restores over HTTP:
 *   POST   /v1/apps/:name/snapshots   take a recovery point of an app (answers when it is ready or failed)
 *   GET    /v1/snapshots[/:id]        list recovery points / one of them
 *   DELETE /v1/snapshots/:id          delete its CSI snapshots and the record
 *   POST   /v1/restores               { fromSnapshot, as? }: create the app from a recovery point (no data copy)
 *                                      { fromBackup, repository?, as?, storageClassMap? }: create the app from a
 *                                      backup; answers the RestoreRecord at once, the data follows (poll it)
 *   GET    /v1/restores[/:id]         restores of backups: state, message, bytes done/total per volume
 * (`GET /v1/snapshots` itself is served by the generic list route through ClusterService.list.)
 */
export function registerRecoveryRoutes(app: FastifyInstance, ctx: ClusterContext, points: RecoveryPoints, repositories: Repositories, kick: () => void): void {
  app.post('/v1/apps/:name/snapshots', { schema: { params: { type: 'object', properties: { name: NAME } } } },
    async (req) => points.create((req.params as { name: string }).name));
  app.get('/v1/snapshots/:id', { schema: { params: { type: 'object', properties: { id: NAME } } } },
    async (req) => points.get((req.params as { id: string }).id));
  app.delete('/v1/snapshots/:id', { schema: { params: { type: 'object', properties: { id: NAME } } } },
    async (req) => ({ message: await points.delete((req.params as { id: string }).id) }));
  const restoreBody = {
    type: 'object', additionalProperties: false,
    properties: {
      fromSnapshot: NAME, fromBackup: { type: 'string', pattern: '^[0-9A-Za-z_-]{1,64}$' },
      repository: { type: 'string', minLength: 1, maxLength: 4096 }, as: { type: 'string', minLength: 1, maxLength: 63 },
      storageClassMap: { type: 'object', maxProperties: 100, additionalProperties: { type: 'string', minLength: 1, maxLength: 253 } },
    },
  } as const;
  app.post('/v1/restores', { schema: { body: restoreBody } }, async (req) => {
    const body = req.body as { fromSnapshot?: string; fromBackup?: string; repository?: string; as?: string; storageClassMap?: Record<string, string> };
    if ((body.fromSnapshot === undefined) === (body.fromBackup === undefined)) throw badRequest('give exactly one of fromSnapshot and fromBackup');
    if (body.fromSnapshot !== undefined) {
      if (body.repository !== undefined || body.storageClassMap !== undefined) throw badRequest('repository and storageClassMap apply only to fromBackup');
      const result = restoreFromSnapshot(ctx, body.fromSnapshot, body.as);
      kick();
      return result;
    }
    const record = await restoreFromBackup(ctx, repositories, { backupId: body.fromBackup!, repository: body.repository, as: body.as, storageClassMap: body.storageClassMap });
    kick();
    return record;
  });
  app.get('/v1/restores', async () => ({ items: ctx.store.restores.list().sort((a, b) => a.createdAt.localeCompare(b.createdAt)) }));
  app.get('/v1/restores/:id', { schema: { params: { type: 'object', properties: { id: NAME } } } }, async (req) => {
    const id = (req.params as { id: string }).id;
    const restore = ctx.store.restores.get(id);
    if (!restore) throw notFound(`restore ${id} not found`);
    return restore;
  });
}
