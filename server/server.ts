import { join } from 'node:path';
import { Logger } from 'pino';
import type { PortRange } from '../core/domain';
import { InMemoryLedgerStore, Ledger } from '../core/reservations';
import { Scheduler } from '../core/scheduler';
import { serveAgentControl } from './agents/agent-service';
import { answerEndpoints } from './agents/endpoint-poll';
import { EndpointFeed } from './discovery/endpoints';
import { BackupSchedules } from './data-protection/backup-schedules';
import { BackupService } from './data-protection/backups';
import { ClusterContext } from './cluster-context';
import { ClusterService } from './api/cluster-service';
import { startHttpApi } from './api/http-server';
import { DataRestorer } from './controllers/data-restore';
import { rebuildLedger } from './controllers/ledger-rebuild';
import { handleSync } from './agents/node-sync';
import { Reconciler } from './controllers/reconciler';
import { RecoveryPoints } from './data-protection/recovery-points';
import { Repositories } from './data-protection/repositories';
import { SqliteClusterStore } from './store/sqlite-cluster-store';
import { openServerCredentials } from './credentials';

export interface ServerOptions {
  dataDir: string;
  /** HTTP API, host:port. */
  listen: string;
  /** Agent gRPC endpoint, host:port. */
  agentListen: string;
  /** An API token of the operator's (--token-file, BERTH_TOKEN), taken besides the data dir's own. */
  token?: string;
  log: Logger;
  nodeDownAfterMs?: number;
  /** Where dynamic host ports are picked on every node (default 20000-32767). */
  hostPortRange?: PortRange;
  /** The key that seals secrets in the store (default: `store.key` in the data dir, made at first start). */
  storeKeyFile?: string;
}

export interface RunningServer {
  url: string;
  agentAddress: string;
  service: ClusterService;
  ctx: ClusterContext;
  stop(): Promise<void>;
}

/** Opens the store, re-asserts the ledger from it, then serves the API and the agents and starts the control loop. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { log } = options;
  const credentials = openServerCredentials(options.dataDir, options.token);
  const store = new SqliteClusterStore(join(options.dataDir, 'berth.db'), { keyFile: options.storeKeyFile });
  const ledger = new Ledger(new InMemoryLedgerStore());
  const ctx = new ClusterContext(store, ledger, new Scheduler(ledger), log, {
    nodeDownAfterMs: options.nodeDownAfterMs ?? 15_000,
    nodeServiceSecret: (nodeId) => credentials.nodes.serviceSecret(nodeId),
    ...(options.hostPortRange ? { hostPortRange: options.hostPortRange } : {}),
  });
  await rebuildLedger(ctx);
  const reconciler = new Reconciler(ctx);
  const dataRestorer = new DataRestorer(ctx);
  const recoveryPoints = new RecoveryPoints(ctx);
  const repositories = new Repositories(ctx);
  const backups = new BackupService(ctx, recoveryPoints, repositories);
  const schedules = new BackupSchedules(ctx, backups, repositories);
  const service = new ClusterService(ctx, () => reconciler.kick(), {
    problem: (app, spec) => schedules.policyProblem(app, spec),
    changed: () => schedules.syncFromApps(),
  });
  const endpointFeed = new EndpointFeed(store);
  const agents = await serveAgentControl(
    options.agentListen,
    (req, cancelled) => handleSync(ctx, req, cancelled),
    credentials,
    log,
    (req, cancelled) => answerEndpoints(ctx, endpointFeed, req, cancelled),
  );
  const agentHost = options.agentListen.slice(0, options.agentListen.lastIndexOf(':'));
  const http = await startHttpApi(
    { ctx, cluster: service, recoveryPoints, repositories, backups, schedules, kick: () => reconciler.kick(), controlLoop: reconciler.stats },
    { listen: options.listen, tokens: credentials.apiTokens, log },
  );
  reconciler.kick();
  dataRestorer.start();
  // Their controllers sync every record at start: what a crash interrupted is undone or settled by the
  // same path as normal work (a backup waits for its recovery point's controller by itself).
  recoveryPoints.start();
  backups.start();
  schedules.syncFromApps();
  schedules.start();
  log.info({ api: http.url, agents: `${agentHost}:${agents.port}`, dataDir: options.dataDir }, 'berth server running');
  return {
    url: http.url,
    agentAddress: `${agentHost}:${agents.port}`,
    service,
    ctx,
    async stop() {
      await schedules.stop();
      await backups.stop(); // before the recovery points: a stopping backup still deletes its recovery point
      await recoveryPoints.stop();
      await dataRestorer.stop();
      await reconciler.stop();
      await http.app.close();
      await agents.stop();
      ctx.close();
      store.close();
    },
  };
}
