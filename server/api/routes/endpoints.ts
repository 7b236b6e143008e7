import { isDeepStrictEqual } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { listEndpoints as listEndpointsRoute } from '../../../api';
import { listEndpoints } from '../../discovery/endpoints';
import type { ApiServices } from '../services';
import { serve } from '../serve';

/**
 * Endpoints of running tasks (one app's with ?app=), answering blocking queries like the other lists —
 * except that a query at the current index waits for the endpoints it lists to change, not for any
 * write to the store: a watcher of endpoints (a load balancer, a DNS server) wakes only when it has
 * something to do. An older index is answered at once, as by the other lists.
 */
export function registerEndpointRoutes(app: FastifyInstance, { ctx, cluster }: ApiServices): void {
  serve(app, listEndpointsRoute, async ({ query }, reply) => {
    let items = listEndpoints(ctx.store, query.app);
    if (query.index !== undefined && query.index === cluster.index) {
      const gone = new AbortController();
      reply.raw.once('close', () => gone.abort()); // the client went away
      const deadline = Date.now() + (query.waitMs ?? 30_000);
      const known = items;
      while (isDeepStrictEqual(items, known) && Date.now() < deadline && !gone.signal.aborted) {
        await cluster.waitPast(cluster.index, deadline - Date.now(), gone.signal);
        items = listEndpoints(ctx.store, query.app);
      }
    }
    void reply.header('x-berth-index', String(cluster.index));
    return { items };
  });
}
