import type { FastifyInstance } from 'fastify';
import { deleteApp, describeApp, getApp, listApps, scaleApp } from '../../../api';
import type { ApiServices } from '../services';
import { serve } from '../serve';
import { serveList } from './blocking-list';

/** Apps: list, one, describe, scale, delete (created and changed by apply). */
export function registerAppRoutes(app: FastifyInstance, { cluster }: ApiServices): void {
  serveList(app, cluster, listApps, 'apps');
  serve(app, getApp, async ({ params }) => cluster.getApp(params.name));
  serve(app, describeApp, async ({ params }) => cluster.describeApp(params.name));
  serve(app, deleteApp, async ({ params }) => ({ message: await cluster.deleteApp(params.name) }));
  serve(app, scaleApp, async ({ params, body }) => ({ message: await cluster.scaleApp(params.name, body.instances) }));
}
