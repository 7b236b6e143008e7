import { Command } from 'commander';
import { resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { BackupNotFoundError, Repository } from '../backup/repository';
import { rephrase } from '../lib/errors';
import {
  addRepository,
  type BodyOf,
  createRestore,
  getRestore,
  listRepositories,
  listRestores,
  removeRepository,
  type RestoreRecord,
  type SnapshotRestoreResult,
} from '../api';
import { ApiClient, ApiError } from './api-client';
import { type Column, formatBytes, parseFormat, printRows, UsageError, type OutputFormat } from './output';
import { passphrase } from './repo-commands';

export type RestoreView = RestoreRecord;
type RestoreVolume = RestoreView['volumes'][number];

/** POST /v1/restores answers a restore record for a backup, the restored app's summary for a recovery point. */
function restoreRecord(answer: RestoreRecord | SnapshotRestoreResult): RestoreRecord {
  if (!('id' in answer)) throw new Error('the server answered a restore from a backup without a restore record');
  return answer;
}
function snapshotRestore(answer: RestoreRecord | SnapshotRestoreResult): SnapshotRestoreResult {
  if (!('recoveryPoint' in answer)) throw new Error('the server answered a restore from a recovery point with a restore record');
  return answer;
}

/** `a=b,c=d` → { a: 'b', c: 'd' }; a malformed or repeated entry is a usage error. */
export function parseStorageClassMap(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined) return undefined;
  const map: Record<string, string> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^([^=\s]+)=([^=\s]+)$/.exec(part);
    if (!m) throw new UsageError(`--storage-class-map: expected OLD=NEW[,OLD=NEW…], got ${JSON.stringify(part)}`);
    if (m[1] in map) throw new UsageError(`--storage-class-map maps ${m[1]} twice`);
    map[m[1]] = m[2];
  }
  if (Object.keys(map).length === 0) throw new UsageError('--storage-class-map is empty');
  return map;
}

const sum = (r: RestoreView, f: (v: RestoreVolume) => number) => r.volumes.reduce((a, v) => a + Number(f(v) || 0), 0);
const progressOf = (r: RestoreView) => `${formatBytes(sum(r, (v) => v.bytesDone))}/${formatBytes(sum(r, (v) => v.bytesTotal))}`;
const sourceOf = (r: RestoreView) =>
  r.source.kind === 'backup' ? `backup ${r.source.backupId} (${r.source.repository})` : `snapshot ${r.source.recoveryPointId}`;

const RESTORE_COLUMNS: Column<RestoreView>[] = [
  ['id', (r) => r.id],
  ['app', (r) => r.app],
  ['source', sourceOf],
  ['state', (r) => r.state],
  ['progress', progressOf],
  ['created', (r) => r.createdAt],
  ['message', (r) => r.message],
];

function printRestore(r: RestoreView): void {
  const w = (s: string) => process.stdout.write(`${s}\n`);
  w(`restore ${r.id}: app/${r.app} from ${sourceOf(r)}: ${r.state}${r.message ? ` — ${r.message}` : ''}`);
  const map = Object.entries(r.storageClassMap ?? {});
  if (map.length) w(`  storage classes: ${map.map(([a, b]) => `${a} → ${b}`).join(', ')}`);
  for (const v of r.volumes) {
    w(
      `  ${v.volume.padEnd(12)} ${v.claimId}  ${v.state.padEnd(7)} ${formatBytes(v.bytesDone)}/${formatBytes(v.bytesTotal)}${v.nodeId ? ` on ${v.nodeId}` : ''}${v.message ? `  ${v.message}` : ''}`,
    );
  }
}

/**
 * Polls a restore until it is ready (exit 0) or failed and rolled back (exit 1 with its message). A bar
 * on a terminal, one line per change otherwise (logs and CI keep them).
 */
async function waitForRestore(api: ApiClient, id: string, format: OutputFormat): Promise<RestoreView> {
  const tty = Boolean(process.stderr.isTTY) && format === 'table';
  const bar = tty ? new SingleBar({ format: 'restoring [{bar}] {percentage}% {done}/{total} {state}', stream: process.stderr, hideCursor: true }) : undefined;
  let started = false;
  let lastLine = '';
  for (;;) {
    const r = await api.call(getRestore, { params: { id } });
    const total = sum(r, (v) => v.bytesTotal);
    const done = Math.min(
      sum(r, (v) => v.bytesDone),
      total,
    );
    const payload = { done: formatBytes(done), total: formatBytes(total), state: r.state };
    if (bar) {
      if (!started) {
        bar.start(Math.max(total, 1), done, payload);
        started = true;
      }
      bar.setTotal(Math.max(total, 1));
      bar.update(done, payload);
    } else if (format === 'table') {
      const waiting = r.volumes.find((v) => v.state !== 'done' && v.message);
      const why = r.message ?? (waiting ? `${waiting.volume}: ${waiting.message}` : undefined);
      const line = `${r.state}: ${progressOf(r)} (${r.volumes.filter((v) => v.state === 'done').length}/${r.volumes.length} volumes)${why ? ` — ${why}` : ''}`;
      if (line !== lastLine) process.stderr.write(`${line}\n`);
      lastLine = line;
    }
    if (r.state === 'ready' || r.state === 'failed') {
      bar?.stop();
      return r;
    }
    await new Promise((res) => setTimeout(res, 1000));
  }
}

/** Creates a restore from a backup, optionally waits, prints it; exit 1 when it failed. */
async function createBackupRestore(api: ApiClient, body: BodyOf<typeof createRestore>, opts: { wait?: boolean; output?: string }): Promise<void> {
  const format = parseFormat(opts.output);
  let r = restoreRecord(await api.call(createRestore, { body }));
  if (format === 'table')
    process.stdout.write(`restore ${r.id}: app/${r.app} from ${sourceOf(r)}: ${r.volumes.length} volume(s) to restore before the instances start\n`);
  if (opts.wait) r = await waitForRestore(api, r.id, format);
  if (format !== 'table') printRows(format, r, [], []);
  else if (opts.wait) printRestore(r);
  if (r.state === 'failed') {
    process.stderr.write(`berth: restore ${r.id} failed and was rolled back: ${r.message ?? 'no reason recorded'}\n`);
    process.exitCode = 1;
  }
}

/** Opens the repository here to learn its id and check passphrase and backup before the cluster is touched. */
async function openLocally(location: string, pass: string, backupId: string): Promise<Repository> {
  try {
    const repo = await Repository.open(location, pass);
    await repo.getBackup(backupId);
    return repo;
  } catch (error) {
    // Repository errors exit by their own code (a wrong passphrase 2, no repository 3); this one says where it looked.
    if (error instanceof BackupNotFoundError) throw rephrase(error, `backup ${backupId} not found in the repository at ${location}`);
    throw error;
  }
}

/**
 * Disaster recovery: from a repository path alone into this (possibly fresh) cluster. The repository
 * is added to the cluster unless one there has this location; if the restore is then refused, a
 * repository added here is removed again so a refused restore changes nothing.
 */
async function restoreFromRepository(
  api: ApiClient,
  opts: {
    repo: string;
    backup: string;
    as?: string;
    storageClassMap?: string;
    repositoryName?: string;
    passphraseFile?: string;
    wait?: boolean;
    output?: string;
  },
): Promise<void> {
  const map = parseStorageClassMap(opts.storageClassMap);
  const location = resolve(opts.repo);
  const pass = passphrase(opts.passphraseFile);
  const repo = await openLocally(location, pass, opts.backup);
  const known = (await api.call(listRepositories)).items;
  let name = known.find((r) => r.location === location || r.repositoryId === repo.id)?.name;
  let added = false;
  if (!name) {
    name =
      opts.repositoryName ??
      `restored-${repo.id
        .replace(/[^0-9a-f]/gi, '')
        .slice(0, 8)
        .toLowerCase()}`;
    await api.call(addRepository, { body: { name, location, passphrase: pass } });
    added = true;
    if (parseFormat(opts.output) === 'table') process.stdout.write(`repository ${name} at ${location} added to the cluster\n`);
  }
  try {
    await createBackupRestore(
      api,
      { fromBackup: opts.backup, repository: name, ...(opts.as ? { as: opts.as } : {}), ...(map ? { storageClassMap: map } : {}) },
      opts,
    );
  } catch (error) {
    if (added && error instanceof ApiError && error.status >= 400 && error.status < 500) {
      await api.call(removeRepository, { params: { name } }).catch(() => undefined);
    }
    throw error;
  }
}

/** `berth restore create|list|describe` and disaster recovery `berth restore --repo PATH --backup ID`. */
export function restoreCommand(api: () => ApiClient): Command {
  const restore = new Command('restore')
    .description('restore an app and its data: from a recovery point, a backup, or (disaster recovery) a repository path')
    .enablePositionalOptions()
    .option('--repo <path>', 'disaster recovery: the repository directory (added to the cluster unless known)')
    .option('--backup <id>', 'disaster recovery: the backup id in that repository')
    .option('--repository-name <name>', 'name for the repository if it is added (default restored-<8 hex of its id>)')
    .option('--passphrase-file <file>', 'file holding the repository passphrase (default: $BERTH_REPO_PASSPHRASE)')
    .option('--as <name>', 'restore under another app name')
    .option('--storage-class-map <map>', 'use other storage classes: OLD=NEW[,OLD=NEW…]')
    .option('--wait', 'wait until the data is restored (progress on stderr); exit 1 if the restore fails')
    .option('-o, --output <format>', 'table, json or yaml')
    .action(
      async (opts: {
        repo?: string;
        backup?: string;
        as?: string;
        storageClassMap?: string;
        repositoryName?: string;
        passphraseFile?: string;
        wait?: boolean;
        output?: string;
      }) => {
        if (!opts.repo || !opts.backup) throw new UsageError('berth restore: give --repo PATH --backup ID, or use `berth restore create|list|describe`');
        await restoreFromRepository(api(), { ...opts, repo: opts.repo, backup: opts.backup });
      },
    );

  restore
    .command('create')
    .description('create an app from a recovery point (volumes from snapshots, no copy) or from a backup (data written before the instances start)')
    .option('--from-snapshot <id>', 'recovery point id (berth get snapshots)')
    .option('--from-backup <id>', 'backup id in a repository of this cluster')
    .option('--repository <name>', 'repository of the backup (default: the only one, or `default`)')
    .option('--as <name>', 'restore under another app name (required while the original app exists)')
    .option('--storage-class-map <map>', 'backups only: use other storage classes, OLD=NEW[,OLD=NEW…]')
    .option('--wait', 'backups only: wait until the data is restored; exit 1 if the restore fails')
    .option('-o, --output <format>', 'table, json or yaml')
    .action(
      async (opts: {
        fromSnapshot?: string;
        fromBackup?: string;
        repository?: string;
        as?: string;
        storageClassMap?: string;
        wait?: boolean;
        output?: string;
      }) => {
        if (Boolean(opts.fromSnapshot) === Boolean(opts.fromBackup)) throw new UsageError('give exactly one of --from-snapshot ID and --from-backup ID');
        if (opts.fromBackup) {
          const map = parseStorageClassMap(opts.storageClassMap);
          await createBackupRestore(
            api(),
            {
              fromBackup: opts.fromBackup,
              ...(opts.repository ? { repository: opts.repository } : {}),
              ...(opts.as ? { as: opts.as } : {}),
              ...(map ? { storageClassMap: map } : {}),
            },
            opts,
          );
          return;
        }
        if (opts.repository || opts.storageClassMap || opts.wait)
          throw new UsageError('--repository, --storage-class-map and --wait apply to --from-backup only');
        const format = parseFormat(opts.output);
        const res = snapshotRestore(await api().call(createRestore, { body: { fromSnapshot: opts.fromSnapshot, ...(opts.as ? { as: opts.as } : {}) } }));
        if (format !== 'table') {
          printRows(format, res, [], []);
          return;
        }
        process.stdout.write(
          `app/${res.app} restored from ${res.recoveryPoint}: ${res.claims.length} volume(s) from snapshots${res.storageClassesCreated.length ? `; storage classes re-created: ${res.storageClassesCreated.join(', ')}` : ''}\n`,
        );
      },
    );

  restore
    .command('list')
    .alias('ls')
    .description('restores from backups and their progress')
    .option('-o, --output <format>', 'table, json or yaml')
    .action(async (opts: { output?: string }) => {
      const format = parseFormat(opts.output);
      const data = await api().call(listRestores);
      printRows(format, data, RESTORE_COLUMNS, data.items);
    });
  restore
    .command('describe')
    .description('one restore: state, message, bytes done per volume')
    .argument('<id>')
    .option('-o, --output <format>', 'table, json or yaml')
    .action(async (id: string, opts: { output?: string }) => {
      const format = parseFormat(opts.output);
      const r = await api().call(getRestore, { params: { id } });
      if (format !== 'table') printRows(format, r, [], []);
      else printRestore(r);
    });
  return restore;
}
