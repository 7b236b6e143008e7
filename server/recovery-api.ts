import type { FastifyInstance } from 'fastify';
import type { RecoveryPoints } from './recovery-points';
import { restoreFromSnapshot } from './restore';
import type { ClusterContext } from './cluster-context';

const NAME = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$' } as const;

/**
 * Recovery points and restores over HTTP:
 *   POST   /v1/apps/:name/snapshots   take a recovery point of an app (answers when it is ready or failed)
 *   GET    /v1/snapshots[/:id]        list recovery points / one of them
 *   DELETE /v1/snapshots/:id          delete its CSI snapshots and the record
 *   POST   /v1/restores               { fromSnapshot, as? }: create the app from a recovery point
 * (`GET /v1/snapshots` itself is served by the generic list route through ClusterService.list.)
 */
export function registerRecoveryRoutes(app: FastifyInstance, ctx: ClusterContext, points: RecoveryPoints, kick: () => void): void {
  app.post('/v1/apps/:name/snapshots', { schema: { params: { type: 'object', properties: { name: NAME } } } },
    async (req) => points.create((req.params as { name: string }).name));
  app.get('/v1/snapshots/:id', { schema: { params: { type: 'object', properties: { id: NAME } } } },
    async (req) => points.get((req.params as { id: string }).id));
  app.delete('/v1/snapshots/:id', { schema: { params: { type: 'object', properties: { id: NAME } } } },
    async (req) => ({ message: await points.delete((req.params as { id: string }).id) }));
  app.post('/v1/restores', { schema: { body: { type: 'object', required: ['fromSnapshot'], additionalProperties: false,
    properties: { fromSnapshot: NAME, as: { type: 'string', minLength: 1, maxLength: 63 } } } } },
  async (req) => {
    const body = req.body as { fromSnapshot: string; as?: string };
    const result = restoreFromSnapshot(ctx, body.fromSnapshot, body.as);
    kick();
    return result;
  });
}
