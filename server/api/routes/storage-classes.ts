import type { FastifyInstance } from 'fastify';
import { deleteStorageClass, listStorageClasses } from '../../../api';
import type { ApiServices } from '../services';
import { serve } from '../serve';
import { serveList } from './blocking-list';

/** Storage classes: the list, and deleting one no claim uses (created and changed by apply). */
export function registerStorageClassRoutes(app: FastifyInstance, { cluster }: ApiServices): void {
  serveList(app, cluster, listStorageClasses, 'storageclasses');
  serve(app, deleteStorageClass, async ({ params }) => ({ message: await cluster.deleteStorageClass(params.name) }));
}
