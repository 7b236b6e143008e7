import type { FastifyInstance } from 'fastify';
import { listReservations } from '../../../api';
import type { ApiServices } from '../services';
import { serveList } from './blocking-list';

/** What the reservations ledger holds on each node. */
export function registerReservationRoutes(app: FastifyInstance, { cluster }: ApiServices): void {
  serveList(app, cluster, listReservations, 'reservations');
}
