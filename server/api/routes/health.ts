import type { FastifyInstance } from 'fastify';
import { health, openApi } from '../../../api';
import { serve } from '../serve';

/** Liveness, and the OpenAPI document @fastify/swagger builds from every route's schemas. */
export function registerHealthRoutes(app: FastifyInstance): void {
  serve(app, health, async () => ({ ok: true }));
  // The OpenAPI types have no index signature; the document is plain JSON all the same.
  serve(app, openApi, async () => app.swagger() as unknown as Record<string, unknown>);
}
