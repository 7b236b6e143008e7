import type { FastifyInstance } from 'fastify';
import { listTasks, taskLogs } from '../../../api';
import type { ApiServices } from '../services';
import { serve } from '../serve';
import { serveList } from './blocking-list';

/** Tasks: the list, and a task's output read from its node. */
export function registerTaskRoutes(app: FastifyInstance, { cluster }: ApiServices): void {
  serveList(app, cluster, listTasks, 'tasks');
  serve(app, taskLogs, async ({ params, query }) => ({ logs: await cluster.taskLogs(params.id, query.tail) }));
}
