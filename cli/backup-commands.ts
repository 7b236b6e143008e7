import { Command } from 'commander';
import type { ApiClient } from './api-client';
import { formatBytes, parseFormat, printRows } from './output';

type Row = Record<string, unknown>;
interface Snap { claimId: string; plugin: string; csiSnapshotId?: string; sizeBytes: number }
interface RecoveryPoint { id: string; app: string; generation: number; consistency: string; state: string; snapshots: Snap[]; createdAt: string; message?: string;
  hooks: { phase: string; taskId: string; exitCode: number; output: string }[] }

/** Columns of a recovery point; `berth get snapshots` uses the same ones. */
export const RECOVERY_POINT_COLUMNS: [string, (r: never) => unknown][] = [
  ['id', (r: Row) => r.id], ['app', (r: Row) => r.app], ['generation', (r: Row) => r.generation],
  ['volumes', (r: Row) => (r.snapshots as unknown[] | undefined)?.length ?? 0],
  ['size', (r: Row) => formatBytes((r.snapshots as Snap[] | undefined ?? []).reduce((a, s) => a + Number(s.sizeBytes || 0), 0))],
  ['consistency', (r: Row) => r.consistency], ['state', (r: Row) => r.state], ['created', (r: Row) => r.createdAt],
] as [string, (r: never) => unknown][];

function printRecoveryPoint(rp: RecoveryPoint): void {
  const w = (s: string) => process.stdout.write(`${s}\n`);
  w(`recovery point ${rp.id} of ${rp.app} (generation ${rp.generation}): ${rp.state}, ${rp.consistency}${rp.message ? ` — ${rp.message}` : ''}`);
  for (const s of rp.snapshots) w(`  ${s.claimId}  ${s.plugin} ${s.csiSnapshotId ?? '-'}  ${formatBytes(s.sizeBytes)}`);
  for (const h of rp.hooks) w(`  ${h.phase} in ${h.taskId}: exit ${h.exitCode}${h.output.trim() ? `: ${h.output.trim()}` : ''}`);
}

/** `berth snapshot create|list|delete` (restores are in restore-commands.ts). */
export function backupCommands(api: () => ApiClient): Command[] {
  const snapshot = new Command('snapshot').description('recovery points: an app, its claims and a snapshot of every volume, taken together')
    .exitOverride();
  snapshot.command('create').description('run preSnapshot hooks, snapshot every volume of the app, run postSnapshot hooks')
    .argument('<app>').option('-o, --output <format>', 'table, json or yaml')
    .action(async (app: string, opts: { output?: string }) => {
      const format = parseFormat(opts.output);
      const rp = await api().post<RecoveryPoint>(`/v1/apps/${encodeURIComponent(app)}/snapshots`, {});
      if (format !== 'table') printRows(format, rp, [], []);
      else printRecoveryPoint(rp);
    });
  snapshot.command('list').alias('ls').description('list recovery points').option('-o, --output <format>', 'table, json or yaml')
    .action(async (opts: { output?: string }) => {
      const format = parseFormat(opts.output);
      const data = await api().get<{ items: Row[] }>('/v1/snapshots');
      printRows(format, data, RECOVERY_POINT_COLUMNS, data.items);
    });
  snapshot.command('describe').description('show one recovery point').argument('<id>').option('-o, --output <format>', 'table, json or yaml')
    .action(async (id: string, opts: { output?: string }) => {
      const format = parseFormat(opts.output);
      const rp = await api().get<RecoveryPoint>(`/v1/snapshots/${encodeURIComponent(id)}`);
      if (format !== 'table') printRows(format, rp, [], []);
      else printRecoveryPoint(rp);
    });
  snapshot.command('delete').alias('rm').description('delete a recovery point and its CSI snapshots').argument('<id>')
    .action(async (id: string) => {
      const res = await api().delete<{ message: string }>(`/v1/snapshots/${encodeURIComponent(id)}`);
      process.stdout.write(`${res.message}\n`);
    });

  return [snapshot];
}
