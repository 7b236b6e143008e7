import type { FastifyInstance } from 'fastify';
import { apply } from '../../../api';
import type { ApiServices } from '../services';
import { serve } from '../serve';

/** POST /v1/apply: manifests of any kind, all or nothing (dryRun: validate only). */
export function registerApplyRoutes(app: FastifyInstance, { cluster }: ApiServices): void {
  serve(app, apply, async ({ body }) => ({ applied: await cluster.apply(body.manifest, Boolean(body.dryRun)) }));
}
