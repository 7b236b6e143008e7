import type { FastifyInstance, FastifyReply } from 'fastify';
import { type BodyOf, type ParamsOf, PROBLEM, type QueryOf, type ReplyOf, type Route } from '../../api';

/** A request as a handler sees it: its parts already validated against the route's schemas. */
export interface ApiRequest<R> {
  params: ParamsOf<R>;
  query: QueryOf<R>;
  body: BodyOf<R>;
}

/**
 * Answers a route: the body to send (the reply is there for headers, another status, the client going
 * away), or the reply itself once the handler has sent an already serialized body through it.
 */
export type ApiHandler<R> = (req: ApiRequest<R>, reply: FastifyReply) => Promise<ReplyOf<R> | FastifyReply>;

/**
 * Registers a route of the contract (api/) with its schemas; fastify validates every part before the
 * handler runs, which is what makes the typed view of the request true. A route's `status` is the
 * default status of its answers.
 */
export function serve<R extends Route>(app: FastifyInstance, route: R, handler: ApiHandler<R>): void {
  // Answers are documented in the OpenAPI document only: a response schema in the route itself would
  // make fastify serialize answers through it, dropping every field it does not list.
  const responses = {
    [route.status ?? 200]: { description: 'the answer, as JSON', type: 'object' },
    '4XX': { description: 'refused: 400 invalid or unknown field, 401 missing or wrong token, 404 not found, 409 conflict', ...PROBLEM },
  };
  app.route({
    method: route.method,
    url: route.url,
    schema: { ...route.schema, summary: route.summary },
    config: { swaggerTransform: ({ schema, url }) => ({ schema: { ...schema, response: responses }, url }) },
    handler: async (req, reply) => {
      if (route.status) void reply.status(route.status);
      return handler({ params: req.params as ParamsOf<R>, query: req.query as QueryOf<R>, body: req.body as BodyOf<R> }, reply);
    },
  });
}
