import { Command } from 'commander';
import type { ApiClient } from './api-client';
import { parseFormat, printRows, UsageError } from './output';

interface Schedule { name: string; app: string; cron: string; repository: string; keep?: number; ttlSeconds?: number; fromApp: boolean; lastRunAt?: string; lastBackup?: string; lastError?: string; action?: string }

const SCHEDULE_COLUMNS: [string, (r: never) => unknown][] = [
  ['name', (s: Schedule) => s.name], ['app', (s: Schedule) => s.app], ['cron', (s: Schedule) => s.cron], ['repository', (s: Schedule) => s.repository],
  ['keep', (s: Schedule) => s.keep], ['ttl', (s: Schedule) => (s.ttlSeconds ? `${s.ttlSeconds}s` : undefined)], ['from', (s: Schedule) => (s.fromApp ? 'app policy' : 'cli')],
  ['last run', (s: Schedule) => s.lastRunAt], ['last backup', (s: Schedule) => s.lastBackup], ['last error', (s: Schedule) => s.lastError],
] as [string, (r: never) => unknown][];

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--keep must be a whole number ≥ 1, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** `berth schedule create|list|delete`: backups on a cron schedule with retention, run by the server. */
export function scheduleCommand(api: () => ApiClient): Command {
  const schedule = new Command('schedule').description('backup schedules (cron, seconds allowed) with retention').exitOverride();
  schedule.command('create').description('create or replace a schedule').argument('<name>')
    .requiredOption('--app <name>', 'app to back up')
    .requiredOption('--cron <expr>', 'cron expression: "0 2 * * *", or with seconds first "*/30 * * * * *"')
    .option('--keep <n>', 'keep the newest N backups of this schedule', wholeNumber)
    .option('--ttl <duration>', 'delete backups of this schedule older than this (7d, 72h, 30m)')
    .option('--repository <name>', 'repository (default: the only one, or the one named default)')
    .option('-o, --output <format>', 'table, json or yaml')
    .action(async (name: string, opts: { app: string; cron: string; keep?: number; ttl?: string; repository?: string; output?: string }) => {
      const format = parseFormat(opts.output);
      const s = await api().post<Schedule>('/v1/schedules', {
        name, app: opts.app, cron: opts.cron, ...(opts.keep !== undefined ? { keep: opts.keep } : {}), ...(opts.ttl ? { ttl: opts.ttl } : {}),
        ...(opts.repository ? { repository: opts.repository } : {}),
      });
      if (format !== 'table') printRows(format, s, [], []);
      else process.stdout.write(`schedule ${s.name} ${s.action ?? 'created'}: back up ${s.app} at "${s.cron}" into ${s.repository}\n`);
    });
  schedule.command('list').alias('ls').description('schedules').option('-o, --output <format>', 'table, json or yaml')
    .action(async (opts: { output?: string }) => {
      const format = parseFormat(opts.output);
      const data = await api().get<{ items: Schedule[] }>('/v1/schedules');
      printRows(format, data, SCHEDULE_COLUMNS, data.items);
    });
  schedule.command('delete').alias('rm').description('delete a schedule (its backups stay)').argument('<name>')
    .action(async (name: string) => {
      const res = await api().delete<{ message: string }>(`/v1/schedules/${encodeURIComponent(name)}`);
      process.stdout.write(`${res.message}\n`);
    });
  return schedule;
}
