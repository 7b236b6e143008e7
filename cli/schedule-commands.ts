import { Command } from 'commander';
import { createSchedule, deleteSchedule, listSchedules, type ScheduleRecord } from '../api';
import type { ApiClient } from './api-client';
import { type Column, parseFormat, printRows, UsageError } from './output';

const SCHEDULE_COLUMNS: Column<ScheduleRecord>[] = [
  ['name', (s) => s.name],
  ['app', (s) => s.app],
  ['cron', (s) => s.cron],
  ['repository', (s) => s.repository],
  ['keep', (s) => s.keep],
  ['ttl', (s) => (s.ttlSeconds ? `${s.ttlSeconds}s` : undefined)],
  ['from', (s) => (s.fromApp ? 'app policy' : 'cli')],
  ['last run', (s) => s.lastRunAt],
  ['last backup', (s) => s.lastBackup],
  ['last error', (s) => s.lastError],
];

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--keep must be a whole number ≥ 1, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** `berth schedule create|list|delete`: backups on a cron schedule with retention, run by the server. */
export function scheduleCommand(api: () => ApiClient): Command {
  const schedule = new Command('schedule').description('backup schedules (cron, seconds allowed) with retention').exitOverride();
  schedule
    .command('create')
    .description('create or replace a schedule')
    .argument('<name>')
    .requiredOption('--app <name>', 'app to back up')
    .requiredOption('--cron <expr>', 'cron expression: "0 2 * * *", or with seconds first "*/30 * * * * *"')
    .option('--keep <n>', 'keep the newest N backups of this schedule', wholeNumber)
    .option('--ttl <duration>', 'delete backups of this schedule older than this (7d, 72h, 30m)')
    .option('--repository <name>', 'repository (default: the only one, or the one named default)')
    .option('-o, --output <format>', 'table, json or yaml')
    .action(async (name: string, opts: { app: string; cron: string; keep?: number; ttl?: string; repository?: string; output?: string }) => {
      const format = parseFormat(opts.output);
      const s = await api().call(createSchedule, {
        body: {
          name,
          app: opts.app,
          cron: opts.cron,
          ...(opts.keep !== undefined ? { keep: opts.keep } : {}),
          ...(opts.ttl ? { ttl: opts.ttl } : {}),
          ...(opts.repository ? { repository: opts.repository } : {}),
        },
      });
      if (format !== 'table') printRows(format, s, [], []);
      else process.stdout.write(`schedule ${s.name} ${s.action ?? 'created'}: back up ${s.app} at "${s.cron}" into ${s.repository}\n`);
    });
  schedule
    .command('list')
    .alias('ls')
    .description('schedules')
    .option('-o, --output <format>', 'table, json or yaml')
    .action(async (opts: { output?: string }) => {
      const format = parseFormat(opts.output);
      const data = await api().call(listSchedules);
      printRows(format, data, SCHEDULE_COLUMNS, data.items);
    });
  schedule
    .command('delete')
    .alias('rm')
    .description('delete a schedule (its backups stay)')
    .argument('<name>')
    .action(async (name: string) => {
      const res = await api().call(deleteSchedule, { params: { name } });
      process.stdout.write(`${res.message}\n`);
    });
  return schedule;
}
