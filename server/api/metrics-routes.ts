import type { FastifyInstance } from 'fastify';
import type { ClusterContext } from '../cluster-context';
import type { Reconciler } from '../controllers/reconciler';

/** What the control plane spends its work on, for operators and the control-plane bench. */
export interface ServerMetrics {
  storeRevision: number;
  records: Record<string, number>;
  reconcile: Reconciler['stats'];
  syncs: { handled: number; answersBuilt: number };
  process: { rssBytes: number; heapUsedBytes: number; cpuUserMicros: number; cpuSystemMicros: number; uptimeSeconds: number };
}

/**
 *   GET /v1/metrics   counters of the control loop, the agent link and the process (JSON)
 */
export function registerMetricsRoutes(app: FastifyInstance, ctx: ClusterContext, reconciler: Reconciler): void {
  app.get('/v1/metrics', async (): Promise<ServerMetrics> => {
    const { store } = ctx;
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    return {
      storeRevision: store.revision,
      records: { apps: store.apps.list().length, tasks: store.tasks.list().length, claims: store.claims.list().length, volumes: store.volumes.list().length, nodes: store.nodes.list().length },
      reconcile: { ...reconciler.stats },
      syncs: { handled: ctx.syncStats.handled, answersBuilt: ctx.nodeAnswers.built },
      process: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, cpuUserMicros: cpu.user, cpuSystemMicros: cpu.system, uptimeSeconds: Math.round(process.uptime()) },
    };
  });
}
