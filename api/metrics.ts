import type { ControllerStats } from '../server/controllers/runtime/controller';
import { NO_QUERY } from './fields';
import { route } from './schema';

/** What the control plane spends its work on: enough to see that cost follows change. */
export interface ServerMetrics {
  /** The store's revision: how many transactions have changed something, ever. */
  storeRevision: number;
  records: { apps: number; tasks: number; claims: number; volumes: number; nodes: number };
  /** Control-loop passes run, ticks skipped because nothing changed, and their time. */
  reconcile: { passes: number; skippedTicks: number; lastPassMs: number; totalPassMs: number };
  /** Per controller of the runtime: keys synced and failed since start, and what waits now. */
  controllers: Record<string, ControllerStats>;
  /** Agent Syncs handled, and answers computed (the rest were served from memory). */
  syncs: { handled: number; answersBuilt: number };
  process: { rssBytes: number; heapUsedBytes: number; cpuUserMicros: number; cpuSystemMicros: number; uptimeSeconds: number };
}

export const metrics = route<ServerMetrics>()({
  method: 'GET',
  url: '/v1/metrics',
  summary: 'counters of the control loop, the agent link and the server process',
  schema: { querystring: NO_QUERY },
});
