import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { formatProblem, Repository } from '../backup/repository';
import { addRepository, listRepositories, removeRepository, type RepositoryView } from '../api';
import { ApiClient } from './api-client';
import { type Column, parseFormat, printRows, UsageError } from './output';

/**
 * The passphrase never travels on the command line (where `ps` would show it): BERTH_REPO_PASSPHRASE
 * or --passphrase-file.
 */
export function passphrase(file: string | undefined): string {
  if (file) {
    try {
      return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new UsageError(`cannot read --passphrase-file ${file}: ${(error as Error).message}`);
    }
  }
  const env = process.env.BERTH_REPO_PASSPHRASE;
  if (!env) throw new UsageError('no passphrase: set BERTH_REPO_PASSPHRASE or pass --passphrase-file FILE');
  return env;
}

const MiB = 1024 * 1024;

/** Columns of `berth repo list`. */
const REPOSITORY_COLUMNS: Column<RepositoryView>[] = [
  ['name', (r) => r.name],
  ['location', (r) => r.location],
  ['id', (r) => r.repositoryId],
  ['added', (r) => r.createdAt],
];

export function repoCommand(api: () => ApiClient): Command {
  const repo = new Command('repo').description('backup repositories: encrypted, deduplicated, on a local path or mounted share');
  const common = (c: Command) =>
    c
      .requiredOption('--location <path>', 'repository directory')
      .option('--passphrase-file <file>', 'file holding the passphrase (default: $BERTH_REPO_PASSPHRASE)');

  common(repo.command('init').description('create a new repository (refuses an existing one)')).action(
    async (opts: { location: string; passphraseFile?: string }) => {
      await Repository.init(opts.location, passphrase(opts.passphraseFile));
      process.stdout.write(`repository created at ${opts.location}\n`);
    },
  );

  common(repo.command('check').description('verify every pack, index and backup manifest; name what is damaged (exit 1 if anything is)')).action(
    async (opts: { location: string; passphraseFile?: string }) => {
      const report = await (await Repository.open(opts.location, passphrase(opts.passphraseFile))).check();
      for (const p of report.problems) process.stdout.write(`${formatProblem(p)}\n`);
      process.stdout.write(
        `${report.ok ? 'ok' : 'DAMAGED'}: ${report.packsChecked} packs, ${report.blobsChecked} blobs, ${(report.bytesChecked / MiB).toFixed(1)} MiB, ${report.backupsChecked} backups checked\n`,
      );
      if (!report.ok) process.exitCode = 1;
    },
  );

  common(repo.command('prune').description('remove data no backup references (waits for or refuses running backups)'))
    .option('--dry-run', 'report what would be removed')
    .action(async (opts: { location: string; passphraseFile?: string; dryRun?: boolean }) => {
      const r = await (await Repository.open(opts.location, passphrase(opts.passphraseFile))).prune({ dryRun: Boolean(opts.dryRun) });
      process.stdout.write(
        `${opts.dryRun ? 'would remove' : 'removed'} ${r.blobsRemoved} blobs, ${r.packsDeleted} packs deleted, ${r.packsRepacked} repacked; ${(r.bytesBefore / MiB).toFixed(1)} → ${(r.bytesAfter / MiB).toFixed(1)} MiB\n`,
      );
    });
  // The cluster's repositories (the server and its agents reach them at the same path).
  repo
    .command('add')
    .description('make a repository known to the cluster (the server checks the passphrase); --init creates it')
    .argument('<name>', 'name backups and schedules refer to')
    .requiredOption('--location <path>', 'repository directory, the same path on every node')
    .option('--passphrase-file <file>', 'file holding the passphrase (default: $BERTH_REPO_PASSPHRASE)')
    .option('--init', 'create the repository first')
    .action(async (name: string, opts: { location: string; passphraseFile?: string; init?: boolean }) => {
      const r = await api().call(addRepository, {
        body: { name, location: opts.location, passphrase: passphrase(opts.passphraseFile), ...(opts.init ? { init: true } : {}) },
      });
      process.stdout.write(`repository ${r.name} at ${r.location} (${r.repositoryId}) added\n`);
    });
  repo
    .command('list')
    .alias('ls')
    .description("the cluster's repositories")
    .option('-o, --output <format>', 'table, json or yaml')
    .action(async (opts: { output?: string }) => {
      const format = parseFormat(opts.output);
      const data = await api().call(listRepositories);
      printRows(format, data, REPOSITORY_COLUMNS, data.items);
    });
  repo
    .command('remove')
    .alias('rm')
    .description('forget a repository (its backups stay in it)')
    .argument('<name>')
    .action(async (name: string) => {
      const res = await api().call(removeRepository, { params: { name } });
      process.stdout.write(`${res.message}\n`);
    });
  return repo;
}
