import type { FastifyInstance } from 'fastify';
import { listVolumes } from '../../../api';
import type { ApiServices } from '../services';
import { serveList } from './blocking-list';

/** Volumes. */
export function registerVolumeRoutes(app: FastifyInstance, { cluster }: ApiServices): void {
  serveList(app, cluster, listVolumes, 'volumes');
}
