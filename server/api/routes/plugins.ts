import type { FastifyInstance } from 'fastify';
import { listPlugins } from '../../../api';
import type { ApiServices } from '../services';
import { serveList } from './blocking-list';

/** CSI plugins, as the nodes running them report them. */
export function registerPluginRoutes(app: FastifyInstance, { cluster }: ApiServices): void {
  serveList(app, cluster, listPlugins, 'plugins');
}
