import type { FastifyInstance } from 'fastify';
import { metrics } from '../../../api';
import type { ApiServices } from '../services';
import { serve } from '../serve';

/** Counters of the control loop, the agent link and the process. */
export function registerMetricsRoutes(app: FastifyInstance, { ctx, controlLoop }: ApiServices): void {
  serve(app, metrics, async () => {
    const { store } = ctx;
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    return {
      storeRevision: store.revision,
      records: {
        apps: store.apps.count(),
        tasks: store.tasks.count(),
        claims: store.claims.count(),
        volumes: store.volumes.count(),
        nodes: store.nodes.count(),
      },
      reconcile: { ...controlLoop },
      controllers: ctx.controllers.stats(),
      syncs: { handled: ctx.syncStats.handled, answersBuilt: ctx.nodeAnswers.built },
      process: {
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        cpuUserMicros: cpu.user,
        cpuSystemMicros: cpu.system,
        uptimeSeconds: Math.round(process.uptime()),
      },
    };
  });
}
