import { Command } from 'commander';
import { createRecoveryPoint, deleteRecoveryPoint, getRecoveryPoint, listRecoveryPoints, type RecoveryPointRecord, type RecoveryPointSummary } from '../api';
import type { ApiClient } from './api-client';
import { consistencyText, hookRunLine } from './hook-lines';
import { type Column, formatBytes, parseFormat, printRows } from './output';

/** Columns of a recovery point; `berth get snapshots` uses the same ones. */
export const RECOVERY_POINT_COLUMNS: Column<RecoveryPointSummary>[] = [
  ['id', (r) => r.id],
  ['app', (r) => r.app],
  ['generation', (r) => r.generation],
  ['volumes', (r) => r.snapshots?.length ?? 0],
  ['size', (r) => formatBytes((r.snapshots ?? []).reduce((a, s) => a + Number(s.sizeBytes || 0), 0))],
  ['consistency', (r) => r.consistency],
  ['state', (r) => r.state],
  ['created', (r) => r.createdAt],
];

function printRecoveryPoint(rp: RecoveryPointRecord): void {
  const w = (s: string) => process.stdout.write(`${s}\n`);
  w(
    `recovery point ${rp.id} of ${rp.app} (generation ${rp.generation}): ${rp.state}, ${consistencyText(rp.consistency, rp.consistencyReason)}${rp.message ? ` — ${rp.message}` : ''}`,
  );
  for (const s of rp.snapshots) w(`  ${s.claimId}  ${s.plugin} ${s.csiSnapshotId ?? '-'}  ${formatBytes(s.sizeBytes)}`);
  for (const h of rp.hooks) w(`  ${hookRunLine(h)}`);
}

/** `berth snapshot create|list|delete` (restores are in restore-commands.ts). */
export function backupCommands(api: () => ApiClient): Command[] {
  const snapshot = new Command('snapshot').description('recovery points: an app, its claims and a snapshot of every volume, taken together').exitOverride();
  snapshot
    .command('create')
    .description('run preSnapshot hooks, snapshot every volume of the app, run postSnapshot hooks')
    .argument('<app>')
    .option('-o, --output <format>', 'table, json or yaml')
    .action(async (app: string, opts: { output?: string }) => {
      const format = parseFormat(opts.output);
      const rp = await api().call(createRecoveryPoint, { params: { name: app } });
      if (format !== 'table') printRows(format, rp, [], []);
      else printRecoveryPoint(rp);
    });
  snapshot
    .command('list')
    .alias('ls')
    .description('list recovery points')
    .option('-o, --output <format>', 'table, json or yaml')
    .action(async (opts: { output?: string }) => {
      const format = parseFormat(opts.output);
      const data = await api().call(listRecoveryPoints);
      printRows(format, data, RECOVERY_POINT_COLUMNS, data.items);
    });
  snapshot
    .command('describe')
    .description('show one recovery point')
    .argument('<id>')
    .option('-o, --output <format>', 'table, json or yaml')
    .action(async (id: string, opts: { output?: string }) => {
      const format = parseFormat(opts.output);
      const rp = await api().call(getRecoveryPoint, { params: { id } });
      if (format !== 'table') printRows(format, rp, [], []);
      else printRecoveryPoint(rp);
    });
  snapshot
    .command('delete')
    .alias('rm')
    .description('delete a recovery point and its CSI snapshots')
    .argument('<id>')
    .action(async (id: string) => {
      const res = await api().call(deleteRecoveryPoint, { params: { id } });
      process.stdout.write(`${res.message}\n`);
    });

  return [snapshot];
}
