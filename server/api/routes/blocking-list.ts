import type { FastifyInstance } from 'fastify';
import type { BLOCKING_QUERY, Items, Route } from '../../../api';
import type { ClusterService, ListItems, ListKind } from '../cluster-service';
import { serve } from '../serve';

/**
 * A list answering blocking queries (as Nomad's do): with ?index=N (the x-berth-index of an earlier
 * answer) it waits until something changed after N, at most waitMs (30 s by default) — a watch
 * without polling. Every answer carries the index it reflects.
 */
export function serveList<K extends ListKind>(
  app: FastifyInstance,
  cluster: ClusterService,
  route: Route<Items<ListItems[K]>, { querystring: typeof BLOCKING_QUERY }>,
  kind: K,
): void {
  serve(app, route, async ({ query }, reply) => {
    if (query.index !== undefined) {
      const gone = new AbortController();
      reply.raw.once('close', () => gone.abort()); // the client went away
      await cluster.waitPast(query.index, query.waitMs ?? 30_000, gone.signal);
    }
    void reply.header('x-berth-index', String(cluster.index));
    // The largest lists are kept serialized by the store: sent as they are, with no JSON work per request.
    const json = cluster.listJson(kind);
    if (json !== undefined) return reply.type('application/json; charset=utf-8').send(`{"items":${json}}`);
    return { items: await cluster.list(kind) };
  });
}
