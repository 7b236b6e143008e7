import { SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { type BackupView, createBackup, deleteBackup, getBackup, listBackups } from '../api';
import type { ApiClient } from './api-client';
import { consistencyText, hookRunLine } from './hook-lines';
import { type Column, formatBytes, parseFormat, printRows, UsageError } from './output';

export type Backup = BackupView;
type BackupVolume = Backup['volumes'][number];

const FINISHED = new Set<Backup['state']>(['ready', 'failed']);
const sum = (b: Backup, f: (v: BackupVolume) => number) => b.volumes.reduce((a, v) => a + f(v), 0);

const BACKUP_COLUMNS: Column<Backup>[] = [
  ['id', (b) => b.id],
  ['app', (b) => b.app],
  ['repository', (b) => b.repository],
  ['schedule', (b) => b.schedule],
  ['state', (b) => b.state],
  ['volumes', (b) => b.volumes.length],
  ['size', (b) => formatBytes(sum(b, (v) => v.bytesTotal))],
  ['read', (b) => (b.bytesRead === undefined ? '-' : formatBytes(b.bytesRead))],
  ['new', (b) => formatBytes(b.bytesNew ?? sum(b, (v) => v.bytesNew ?? 0))],
  ['stored', (b) => (b.bytesStored === undefined ? '-' : formatBytes(b.bytesStored))],
  ['consistency', (b) => b.consistency],
  ['started', (b) => b.startedAt],
  ['origin', (b) => b.origin],
];

const seconds = (s: number | undefined) =>
  s === undefined ? '-' : s >= 3600 ? `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m` : s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;

/** One line of progress: used for plain (non-TTY) output and in describe. */
export function progressLine(b: Backup): string {
  const p = b.progress;
  return `${b.state}: ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}, ${p.filesDone} files${p.bytesPerSecond ? `, ${formatBytes(p.bytesPerSecond)}/s` : ''}${p.etaSeconds !== undefined ? `, ETA ${seconds(p.etaSeconds)}` : ''}`;
}

/**
 * What a finished backup read, what was new after deduplication, and what the repository grew by on
 * disk (compressed and encrypted, with indexes and the manifest) — unknown for backups made before
 * that was counted.
 */
function sizesLine(b: Backup): string {
  const stored = b.bytesStored === undefined ? 'stored: unknown (backup made before it was counted)' : `stored ${formatBytes(b.bytesStored)} on disk`;
  return `read ${formatBytes(b.bytesRead ?? 0)}, new after dedup ${formatBytes(b.bytesNew ?? sum(b, (v) => v.bytesNew ?? 0))}, ${stored}`;
}

function printBackup(b: Backup): void {
  const w = (s: string) => process.stdout.write(`${s}\n`);
  w(
    `backup ${b.id} of ${b.app} in repository ${b.repository}: ${b.state}${b.consistency ? `, ${consistencyText(b.consistency, b.consistencyReason)}` : ''}${b.schedule ? ` (schedule ${b.schedule})` : ''}${b.origin === 'repository' ? ' [found in the repository only]' : ''}`,
  );
  if (b.message) w(`  message: ${b.message}`);
  w(`  started ${b.startedAt}${b.finishedAt ? `, finished ${b.finishedAt}` : ''}${b.parent ? `, incremental to ${b.parent}` : ''}`);
  if (b.bytesRead !== undefined) w(`  ${sizesLine(b)}`);
  w(`  ${progressLine(b)}`);
  for (const h of b.hooks ?? []) w(`  ${hookRunLine(h)}`);
  for (const v of b.volumes) {
    w(
      `  ${v.volume}  ${v.claimId}  ${v.nodeId ?? '-'}  ${v.state}  ${formatBytes(v.bytesDone)}/${formatBytes(v.bytesTotal)}  new ${formatBytes(v.bytesNew ?? 0)}${v.bytesStored === undefined ? '' : `  stored ${formatBytes(v.bytesStored)}`}  ${v.filesDone} files${v.path ? `  ${v.path}/${v.changeDetection ?? '-'}` : ''}${v.message ? `  ${v.message}` : ''}`,
    );
  }
}

/** Polls a backup until it is ready or failed, showing progress on stderr (a bar on a terminal, lines otherwise). */
async function waitForBackup(api: ApiClient, id: string, intervalMs = 500): Promise<Backup> {
  const tty = Boolean(process.stderr.isTTY);
  const bar = tty
    ? new SingleBar({
        stream: process.stderr,
        format: '{state} [{bar}] {percentage}% | {done}/{size} | {files} files | {rate}/s | ETA {eta_text}',
        hideCursor: true,
      })
    : undefined;
  let started = false;
  let lastLine = '';
  let lastPrinted = 0;
  for (;;) {
    const b = await api.call(getBackup, { params: { id } });
    const p = b.progress;
    if (bar) {
      const payload = {
        state: b.state,
        done: formatBytes(p.bytesDone),
        size: formatBytes(p.bytesTotal),
        files: p.filesDone,
        rate: formatBytes(p.bytesPerSecond ?? 0),
        eta_text: seconds(p.etaSeconds),
      };
      if (!started) {
        bar.start(Math.max(1, p.bytesTotal), p.bytesDone, payload);
        started = true;
      }
      bar.setTotal(Math.max(1, p.bytesTotal));
      bar.update(p.bytesDone, payload);
    } else {
      // Plain lines for logs and pipes: on every state change, else at most every 2 s.
      const line = progressLine(b);
      if (line !== lastLine && (!lastLine.startsWith(`${b.state}:`) || Date.now() - lastPrinted >= 2000 || FINISHED.has(b.state))) {
        process.stderr.write(`backup ${id} ${line}\n`);
        lastLine = line;
        lastPrinted = Date.now();
      }
    }
    if (FINISHED.has(b.state)) {
      bar?.stop();
      return b;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** `berth backup create|list|describe|delete`: backups of apps into the cluster's repositories. */
export function backupCommand(api: () => ApiClient): Command {
  const backup = new Command('backup').description('backups of apps (hooks, snapshots, data) into a backup repository').exitOverride();
  backup
    .command('create')
    .description('back up an app: recovery point, then every volume into the repository (incremental to the last backup)')
    .argument('<app>')
    .option('--repository <name>', 'repository name (default: the only one, or the one named default)')
    .option('--location <path>', 'repository by its location instead of its name')
    .option('--wait', 'wait until the backup is ready or failed, showing progress on stderr')
    .option('-o, --output <format>', 'table, json or yaml')
    .action(async (app: string, opts: { repository?: string; location?: string; wait?: boolean; output?: string }) => {
      const format = parseFormat(opts.output);
      if (opts.repository && opts.location) throw new UsageError('give --repository or --location, not both');
      const repository = opts.repository ?? opts.location;
      const client = api();
      let b = await client.call(createBackup, { params: { name: app }, body: repository ? { repository } : {} });
      if (opts.wait) b = await waitForBackup(client, b.id);
      if (format !== 'table') printRows(format, b, [], []);
      else if (!opts.wait) process.stdout.write(`backup ${b.id} of ${b.app} started into repository ${b.repository} (berth backup describe ${b.id})\n`);
      else printBackup(b);
      if (b.state === 'failed') throw new Error(b.message ?? `backup ${b.id} failed`);
    });
  backup
    .command('list')
    .alias('ls')
    .description("backups: this cluster's records and those found only in a repository")
    .option('--app <name>', "only this app's")
    .option('-o, --output <format>', 'table, json or yaml')
    .action(async (opts: { app?: string; output?: string }) => {
      const format = parseFormat(opts.output);
      const data = await api().call(listBackups, { query: opts.app ? { app: opts.app } : {} });
      printRows(format, data, BACKUP_COLUMNS, data.items);
    });
  backup
    .command('describe')
    .description('one backup: volumes, bytes, progress')
    .argument('<id>')
    .option('-o, --output <format>', 'table, json or yaml')
    .action(async (id: string, opts: { output?: string }) => {
      const format = parseFormat(opts.output);
      const b = await api().call(getBackup, { params: { id } });
      if (format !== 'table') printRows(format, b, [], []);
      else printBackup(b);
    });
  backup
    .command('delete')
    .alias('rm')
    .description('delete a backup (its data is reclaimed by `berth repo prune`)')
    .argument('<id>')
    .action(async (id: string) => {
      const res = await api().call(deleteBackup, { params: { id } });
      process.stdout.write(`${res.message}\n`);
    });
  return backup;
}
