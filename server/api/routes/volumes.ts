import type { FastifyInstance } from 'fastify';
import { deleteVolume, listVolumes } from '../../../api';
import type { ApiServices } from '../services';
import { serve } from '../serve';
import { deleteReleasedVolume } from '../storage-releases';
import { serveList } from './blocking-list';

/** Volumes, and deleting a released one. */
export function registerVolumeRoutes(app: FastifyInstance, { cluster, ctx }: ApiServices): void {
  serveList(app, cluster, listVolumes, 'volumes');
  serve(app, deleteVolume, async ({ params }) => ({ message: deleteReleasedVolume(ctx, params.id) }));
}
