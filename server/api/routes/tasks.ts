import type { FastifyInstance } from 'fastify';
import { listTasks, taskLogs } from '../../../api';
import type { ApiServices } from '../services';
import { OpenStreams } from '../open-streams';
import { serve } from '../serve';
import { sinceMsOf, taskLink } from '../task-link';
import { serveList } from './blocking-list';
import { registerTaskExec } from './task-exec';

/** Tasks: the list, a task's output read (or followed) from its node, and commands run in it. */
export function registerTaskRoutes(app: FastifyInstance, services: ApiServices): void {
  const { cluster, ctx } = services;
  const open = new OpenStreams();
  app.addHook('preClose', (done) => {
    open.closeAll();
    done();
  });
  serveList(app, cluster, listTasks, 'tasks');
  serve(app, taskLogs, async ({ params, query }, reply) => {
    const sinceMs = sinceMsOf(query.since);
    if (!query.follow) return { logs: await cluster.taskLogs(params.id, query.tail, sinceMs) };
    const { link } = taskLink(ctx, params.id, 'read logs from');
    // Resolves once the agent follows: an unknown task is still an error answer, not an empty stream.
    const stream = await link.followLogs(params.id, query.tail ?? 0, sinceMs ?? 0);
    // A client that goes away ends the follow on the agent too (the stream's close cancels the call).
    const forget = open.add(() => {
      reply.raw.end();
      stream.destroy();
    });
    reply.raw.on('close', () => {
      forget();
      stream.destroy();
    });
    return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(stream);
  });
  registerTaskExec(app, services, open);
}
