import type { FastifyInstance } from 'fastify';
import { listNodes } from '../../../api';
import type { ApiServices } from '../services';
import { serveList } from './blocking-list';

/** Nodes (their records, state and storage pools), as agents report them. */
export function registerNodeRoutes(app: FastifyInstance, { cluster }: ApiServices): void {
  serveList(app, cluster, listNodes, 'nodes');
}
