import { schedule as cronSchedule } from 'node-cron';
import type { ScheduledTask } from 'node-cron';
import { cronProblem, dnsLabelProblem, parseDurationSeconds } from '../../core/manifests';
import type { AppSpec } from '../../core/manifests';
import { isRunning, selectExpired } from './backup-policy';
import type { BackupService } from './backups';
import type { ClusterContext } from '../cluster-context';
import { BerthError, conflict, invalidArgument, notFound } from '../../lib/errors';
import type { BackupRecord, ScheduleRecord } from '../store/records';
import type { Repositories } from './repositories';
import { Controller } from '../controllers/runtime/controller';
import type { StoreChange } from '../store/cluster-store';

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** What a client asks for; `ttl` is a duration like 7d or 72h. */
export interface ScheduleInput {
  name: string;
  app: string;
  cron: string;
  repository?: string;
  keep?: number;
  ttl?: string;
}

/** The schedule an app manifest's `backup:` policy makes. */
export const policyScheduleName = (app: string): string => `${app}-policy`;

/**
 * Backup schedules: records (the truth, kept across restarts) and one node-cron job per record in
 * this process. A firing job starts a backup unless the previous one of the same app still runs (then
 * it skips, with an event). Retention deletes a schedule's ready backups past `keep` and older than
 * `ttlSeconds`. Schedules made from an App manifest's `backup:` policy (`<app>-policy`) follow the app:
 * created or updated on apply, removed with the app or the policy.
 * Prune is never run from here: it takes the repository's exclusive lock (`berth repo prune`).
 *
 * A controller of the runtime (controllers/runtime/), keyed by schedule name: a change of a schedule's
 * record, or one of its backups becoming ready, syncs that schedule — its job made to match the record
 * (started, replaced or stopped), then its retention applied. The work queue runs one sync per schedule
 * at a time (two retention passes would try to delete the same backups), and starting it syncs every
 * schedule, so a restarted server catches up by the same path.
 */
export class BackupSchedules {
  private readonly jobs = new Map<string, { cron: string; task: ScheduledTask }>();
  private readonly controller: Controller;
  /** Firings of the jobs under way (a backup being started), so `idle` and `stop` can wait for them. */
  private readonly firing = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly ctx: ClusterContext,
    private readonly backups: BackupService,
    private readonly repositories: Repositories,
  ) {
    this.controller = new Controller({
      name: 'schedules',
      registry: ctx.controllers,
      store: ctx.store,
      log: ctx.log,
      kinds: ['schedule', 'backup'],
      keysOf: schedulesToSync,
      sync: (name) => this.sync(name),
    });
  }

  list(): ScheduleRecord[] {
    return this.ctx.store.schedules.list().sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): ScheduleRecord {
    const s = this.ctx.store.schedules.get(name);
    if (!s) throw notFound(`schedule ${name} not found`);
    return s;
  }

  /** Creates a schedule, or replaces one of the same name (idempotent: the same input changes nothing). */
  create(input: ScheduleInput): { schedule: ScheduleRecord; action: 'created' | 'updated' | 'unchanged' } {
    const problems: { path: string; message: string }[] = [];
    const nameProblem = dnsLabelProblem(input.name);
    if (nameProblem) problems.push({ path: 'name', message: nameProblem });
    const cronText = cronProblem(input.cron);
    if (cronText) problems.push({ path: 'cron', message: cronText });
    if (input.keep !== undefined && (!Number.isSafeInteger(input.keep) || input.keep < 1))
      problems.push({ path: 'keep', message: `expected a whole number ≥ 1, got ${input.keep}` });
    const ttlSeconds = input.ttl === undefined ? undefined : parseDurationSeconds(input.ttl);
    if (input.ttl !== undefined && ttlSeconds === undefined)
      problems.push({ path: 'ttl', message: `expected a duration like 7d, 72h or 30m, got ${JSON.stringify(input.ttl)}` });
    if (input.keep === undefined && ttlSeconds === undefined)
      problems.push({ path: 'keep', message: 'give keep, ttl or both: a schedule without retention would fill the repository' });
    if (problems.length > 0) throw invalidArgument(`invalid schedule: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems);
    const app = this.ctx.store.apps.get(input.app);
    if (!app) throw notFound(`app ${input.app} not found`);
    const existing = this.ctx.store.schedules.get(input.name);
    if (existing?.fromApp) throw conflict(`schedule ${input.name} comes from app ${existing.app}'s backup policy; change the manifest instead`);
    const repository = this.repositories.resolve(input.repository).name;
    return this.put({ name: input.name, app: input.app, cron: input.cron.trim(), repository, keep: input.keep, ttlSeconds, fromApp: false });
  }

  private put(next: Omit<ScheduleRecord, 'createdAt'>): { schedule: ScheduleRecord; action: 'created' | 'updated' | 'unchanged' } {
    const existing = this.ctx.store.schedules.get(next.name);
    const clean = Object.fromEntries(Object.entries(next).filter(([, v]) => v !== undefined)) as Omit<ScheduleRecord, 'createdAt'>;
    const same =
      existing &&
      ['app', 'cron', 'repository', 'keep', 'ttlSeconds', 'fromApp'].every((k) => existing[k as keyof ScheduleRecord] === clean[k as keyof typeof clean]);
    if (existing && same) return { schedule: existing, action: 'unchanged' };
    const record: ScheduleRecord = {
      ...(existing ?? {}),
      keep: undefined,
      ttlSeconds: undefined,
      ...clean,
      createdAt: existing?.createdAt ?? new Date().toISOString(),
    };
    const stored = Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as unknown as ScheduleRecord;
    this.ctx.store.schedules.put(stored.name, stored); // its sync starts (or replaces) its job
    this.ctx.event(
      `schedule/${stored.name}`,
      existing ? 'Updated' : 'Created',
      `schedule ${stored.name}: backup app ${stored.app} at "${stored.cron}" into ${stored.repository}${stored.keep ? `, keep ${stored.keep}` : ''}${stored.ttlSeconds ? `, ttl ${stored.ttlSeconds}s` : ''}`,
    );
    return { schedule: stored, action: existing ? 'updated' : 'created' };
  }

  /** Deletes a schedule (its backups stay). A policy schedule is removed by changing the app's manifest. */
  delete(name: string, force = false): string {
    const s = this.get(name);
    if (s.fromApp && !force)
      throw conflict(`schedule ${name} comes from app ${s.app}'s backup policy; remove spec.backup from the app (or delete the app) instead`);
    this.ctx.store.schedules.delete(name); // its sync stops its job
    this.ctx.event(`schedule/${name}`, 'Deleted', `schedule ${name} deleted; its backups stay`);
    return `schedule ${name} deleted; its backups stay`;
  }

  /** Why an app's backup policy cannot be applied (its repository is not resolvable, its schedule name is taken), or undefined. */
  policyProblem(app: string, spec: AppSpec): string | undefined {
    if (!spec.backup) return undefined;
    try {
      this.repositories.resolve(spec.backup.repository);
    } catch (error) {
      return error instanceof BerthError ? error.message : errorText(error);
    }
    const taken = this.ctx.store.schedules.get(policyScheduleName(app));
    if (taken && !taken.fromApp) return `a schedule named ${policyScheduleName(app)} already exists (not from this app's policy); delete it first`;
    return undefined;
  }

  /** Makes the policy schedules match the apps: after every apply and app deletion, and at start. */
  syncFromApps(): void {
    const { store } = this.ctx;
    for (const app of store.apps.list()) {
      const policy = app.spec.backup;
      if (!policy || app.deleting || this.policyProblem(app.name, app.spec)) continue;
      this.put({
        name: policyScheduleName(app.name),
        app: app.name,
        cron: policy.schedule,
        repository: this.repositories.resolve(policy.repository).name,
        keep: policy.keep,
        ttlSeconds: policy.ttlSeconds,
        fromApp: true,
      });
    }
    for (const s of store.schedules.list()) {
      const app = store.apps.get(s.app);
      if (s.fromApp && (!app || app.deleting || !app.spec.backup)) this.delete(s.name, true);
    }
  }

  /** Syncs every schedule (its job started, its retention applied), then each one that changes (server start). */
  start(): void {
    this.controller.start();
  }

  /**
   * Resolves once every firing under way has started its backup (or skipped) and every change seen so
   * far is acted on: jobs match the records, retention is applied.
   */
  async idle(): Promise<void> {
    do await Promise.all([...this.firing, this.controller.idle()]);
    while (this.firing.size > 0);
  }

  /** Stops the jobs, then waits for the firings and the retention pass under way (nothing may touch the store after it closes). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const name of [...this.jobs.keys()]) this.stopJob(name);
    await Promise.all(this.firing);
    await this.controller.stop();
  }

  /** One schedule's job made to match its record, then its retention. */
  private async sync(name: string): Promise<void> {
    const s = this.ctx.store.schedules.get(name);
    if (!s) {
      this.stopJob(name); // deleted: its backups stay, no retention
      return;
    }
    this.startJob(s);
    await this.retain(name);
  }

  private startJob(s: ScheduleRecord): void {
    if (this.stopped) return;
    if (this.jobs.get(s.name)?.cron === s.cron) return;
    this.stopJob(s.name);
    const log = this.ctx.log.child({ schedule: s.name });
    // node-cron logs to the console by default; its messages go to the server's log instead.
    const task = cronSchedule(s.cron, () => this.fireFromJob(s.name), {
      name: `berth-schedule-${s.name}`,
      logger: {
        info: (m) => log.debug(m),
        warn: (m) => log.warn(m),
        error: (m) => log.error(String(m)),
        debug: (m) => log.debug(String(m)),
      },
    });
    this.jobs.set(s.name, { cron: s.cron, task });
  }

  private stopJob(name: string): void {
    const job = this.jobs.get(name);
    if (!job) return;
    this.jobs.delete(name);
    void Promise.resolve(job.task.destroy()).catch(() => undefined);
  }

  private fireFromJob(name: string): Promise<void> {
    const firing = this.fire(name).catch((err: unknown) => this.ctx.log.error({ err: errorText(err), schedule: name }, 'schedule firing failed'));
    this.firing.add(firing);
    void firing.finally(() => this.firing.delete(firing));
    return firing;
  }

  /** One firing: start a backup, or skip while the previous one of the app still runs. */
  async fire(name: string): Promise<void> {
    const { store } = this.ctx;
    const s = store.schedules.get(name);
    if (!s || this.stopped) return;
    const runningBackup = store.backups.list().find((b) => b.app === s.app && isRunning(b));
    const now = new Date().toISOString();
    if (runningBackup) {
      this.ctx.event(`schedule/${name}`, 'BackupSkipped', `schedule ${name}: backup ${runningBackup.id} of ${s.app} is still running; this run is skipped`);
      store.schedules.put(name, { ...s, lastRunAt: now });
      return;
    }
    try {
      const b = await this.backups.create(s.app, { repository: s.repository, schedule: name, ttlSeconds: s.ttlSeconds });
      const latest = store.schedules.get(name);
      if (latest) store.schedules.put(name, { ...latest, lastRunAt: now, lastBackup: b.id, lastError: undefined });
    } catch (error) {
      const message = errorText(error);
      const latest = store.schedules.get(name);
      if (latest) store.schedules.put(name, { ...latest, lastRunAt: now, lastError: message });
      this.ctx.event(`schedule/${name}`, 'BackupScheduleFailed', `schedule ${name}: cannot start a backup of ${s.app}: ${message}`);
    }
  }

  /**
   * Deletes the schedule's ready backups past `keep` and older than its ttl (one at a time, through the
   * backup service). A backup that cannot be deleted is reported and left for the schedule's next sync.
   */
  private async retain(name: string): Promise<string[]> {
    const s = this.ctx.store.schedules.get(name);
    if (!s) return [];
    const expired: BackupRecord[] = selectExpired(this.ctx.store.backups.list(), s, s, Date.now());
    const deleted: string[] = [];
    for (const b of expired) {
      try {
        await this.backups.delete(b.id);
        deleted.push(b.id);
      } catch (error) {
        this.ctx.event(`schedule/${name}`, 'RetentionFailed', `schedule ${name}: cannot delete backup ${b.id}: ${errorText(error)}`);
      }
    }
    if (deleted.length > 0)
      this.ctx.event(
        `schedule/${name}`,
        'RetentionApplied',
        `schedule ${name}: deleted ${deleted.length} backup(s) (keep ${s.keep ?? '-'}, ttl ${s.ttlSeconds ?? '-'}s): ${deleted.join(', ')}`,
      );
    return deleted;
  }
}

/** The schedules a change concerns: its own record, or the schedule of a backup that just became ready. */
function schedulesToSync(change: StoreChange): string[] {
  if (change.kind === 'schedule') return [change.id];
  if (change.kind !== 'backup') return [];
  const { before, after } = change;
  return after?.schedule && after.state === 'ready' && before?.state !== 'ready' ? [after.schedule] : [];
}
