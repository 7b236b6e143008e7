import type { FastifyInstance } from 'fastify';
import { listEvents } from '../../../api';
import type { ApiServices } from '../services';
import { serveList } from './blocking-list';

/** The latest events. */
export function registerEventRoutes(app: FastifyInstance, { cluster }: ApiServices): void {
  serveList(app, cluster, listEvents, 'events');
}
