import type { FastifyInstance } from 'fastify';
import { createRecoveryPoint, deleteRecoveryPoint, getRecoveryPoint, listRecoveryPoints } from '../../../api';
import type { ApiServices } from '../services';
import { serve } from '../serve';
import { serveList } from './blocking-list';

/**
 * Recovery points (`snapshots` on the wire): an app, its claims and a CSI snapshot of every volume,
 * taken together. Creating one answers when it is ready or failed.
 */
export function registerRecoveryPointRoutes(app: FastifyInstance, { cluster, recoveryPoints }: ApiServices): void {
  serveList(app, cluster, listRecoveryPoints, 'snapshots');
  serve(app, createRecoveryPoint, async ({ params }) => recoveryPoints.create(params.name));
  serve(app, getRecoveryPoint, async ({ params }) => recoveryPoints.get(params.id));
  serve(app, deleteRecoveryPoint, async ({ params }) => ({ message: await recoveryPoints.delete(params.id) }));
}
