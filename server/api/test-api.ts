import type { FastifyInstance } from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { InMemoryLedgerStore, Ledger } from '../../core/reservations';
import { Scheduler } from '../../core/scheduler';
import { ClusterContext } from '../cluster-context';
import { BackupSchedules } from '../data-protection/backup-schedules';
import { BackupService } from '../data-protection/backups';
import { RecoveryPoints } from '../data-protection/recovery-points';
import { Repositories } from '../data-protection/repositories';
import { SqliteClusterStore } from '../store/sqlite-cluster-store';
import { ClusterService } from './cluster-service';
import { startHttpApi } from './http-server';

export interface TestApi {
  url: string;
  app: FastifyInstance;
  store: SqliteClusterStore;
  ctx: ClusterContext;
  /** The API token. */
  token: string;
  /** fetch() of a path of this API, with the token. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** How many times the control loop was woken. */
  kicks: () => number;
  close(): Promise<void>;
}

/**
 * For tests: the HTTP API with every route on 127.0.0.1:<any port>, over a real SQLite store in a
 * temporary directory — no agents, no control loop, no root. Its token is `options.token`, else a test token.
 */
export async function startTestApi(options: { token?: string } = {}): Promise<TestApi> {
  const token = options.token ?? 'test-api-token';
  const dir = mkdtempSync(join(tmpdir(), 'berth-api-'));
  const store = new SqliteClusterStore(join(dir, 'berth.db'));
  const ledger = new Ledger(new InMemoryLedgerStore());
  const log = pino({ level: 'silent' });
  const ctx = new ClusterContext(store, ledger, new Scheduler(ledger), log, { nodeDownAfterMs: 15_000 });
  let kicks = 0;
  const kick = () => {
    kicks++;
  };
  const recoveryPoints = new RecoveryPoints(ctx);
  const repositories = new Repositories(ctx);
  const backups = new BackupService(ctx, recoveryPoints, repositories);
  const schedules = new BackupSchedules(ctx, backups, repositories);
  recoveryPoints.start();
  backups.start();
  schedules.start();
  const cluster = new ClusterService(ctx, kick, { problem: (app, spec) => schedules.policyProblem(app, spec), changed: () => schedules.syncFromApps() });
  const http = await startHttpApi(
    { ctx, cluster, recoveryPoints, repositories, backups, schedules, kick, controlLoop: { passes: 0, skippedTicks: 0, lastPassMs: 0, totalPassMs: 0 } },
    { listen: '127.0.0.1:0', tokens: [token], log },
  );
  return {
    url: http.url,
    app: http.app,
    store,
    ctx,
    token,
    fetch: (path, init = {}) =>
      fetch(`${http.url}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` } }),
    kicks: () => kicks,
    async close() {
      await schedules.stop();
      await backups.stop();
      await recoveryPoints.stop();
      await http.app.close();
      ctx.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
