import type { FastifyInstance } from 'fastify';
import { listClaims } from '../../../api';
import type { ApiServices } from '../services';
import { serveList } from './blocking-list';

/** Claims of app instances on volumes. */
export function registerClaimRoutes(app: FastifyInstance, { cluster }: ApiServices): void {
  serveList(app, cluster, listClaims, 'claims');
}
