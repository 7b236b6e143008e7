import type { FastifyInstance } from 'fastify';
import { listEndpoints as listEndpointsRoute } from '../../../api';
import { listEndpoints } from '../../discovery/endpoints';
import type { ApiServices } from '../services';
import { serve } from '../serve';
import { blockingQuery } from './blocking-list';

/** Endpoints of running tasks (one app's with ?app=), answering blocking queries like the other lists. */
export function registerEndpointRoutes(app: FastifyInstance, { ctx, cluster }: ApiServices): void {
  serve(app, listEndpointsRoute, async ({ query }, reply) => {
    await blockingQuery(cluster, query, reply);
    return { items: listEndpoints(ctx.store, query.app) };
  });
}
