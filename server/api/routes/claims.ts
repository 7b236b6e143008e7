import type { FastifyInstance } from 'fastify';
import { deleteClaim, listClaims } from '../../../api';
import type { ApiServices } from '../services';
import { serve } from '../serve';
import { releaseClaim } from '../storage-releases';
import { serveList } from './blocking-list';

/** Claims of app instances on volumes, and letting go of one kept after a scale-down. */
export function registerClaimRoutes(app: FastifyInstance, { cluster, ctx }: ApiServices): void {
  serveList(app, cluster, listClaims, 'claims');
  serve(app, deleteClaim, async ({ params }) => ({ message: releaseClaim(ctx, params.id) }));
}
