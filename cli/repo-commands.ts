import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { formatProblem, Repository, RepositoryExistsError, RepositoryNotFoundError, WrongPassphraseError } from '../backup/repository';
import { ApiError } from './api-client';
import { UsageError } from './output';

/**
 * The passphrase never travels on the command line (where `ps` would show it): BERTH_REPO_PASSPHRASE
 * or --passphrase-file.
 */
function passphrase(file: string | undefined): string {
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

/** Maps repository errors onto the CLI's exit codes (2 invalid input, 3 not found, 4 conflict). */
async function withRepoErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof WrongPassphraseError) throw new UsageError(error.message);
    if (error instanceof RepositoryNotFoundError) throw new ApiError(404, error.message);
    if (error instanceof RepositoryExistsError) throw new ApiError(409, error.message);
    throw error;
  }
}

const MiB = 1024 * 1024;

export function repoCommand(): Command {
  const repo = new Command('repo').description('backup repositories: encrypted, deduplicated, on a local path or mounted share');
  const common = (c: Command) => c.requiredOption('--location <path>', 'repository directory').option('--passphrase-file <file>', 'file holding the passphrase (default: $BERTH_REPO_PASSPHRASE)');

  common(repo.command('init').description('create a new repository (refuses an existing one)'))
    .action(async (opts: { location: string; passphraseFile?: string }) => {
      await withRepoErrors(() => Repository.init(opts.location, passphrase(opts.passphraseFile)));
      process.stdout.write(`repository created at ${opts.location}\n`);
    });

  common(repo.command('check').description('verify every pack, index and backup manifest; name what is damaged (exit 1 if anything is)'))
    .action(async (opts: { location: string; passphraseFile?: string }) => {
      const report = await withRepoErrors(async () => (await Repository.open(opts.location, passphrase(opts.passphraseFile))).check());
      for (const p of report.problems) process.stdout.write(`${formatProblem(p)}\n`);
      process.stdout.write(`${report.ok ? 'ok' : 'DAMAGED'}: ${report.packsChecked} packs, ${report.blobsChecked} blobs, ${(report.bytesChecked / MiB).toFixed(1)} MiB, ${report.backupsChecked} backups checked\n`);
      if (!report.ok) process.exitCode = 1;
    });

  common(repo.command('prune').description('remove data no backup references (waits for or refuses running backups)'))
    .option('--dry-run', 'report what would be removed')
    .action(async (opts: { location: string; passphraseFile?: string; dryRun?: boolean }) => {
      const r = await withRepoErrors(async () => (await Repository.open(opts.location, passphrase(opts.passphraseFile))).prune({ dryRun: Boolean(opts.dryRun) }));
      process.stdout.write(`${opts.dryRun ? 'would remove' : 'removed'} ${r.blobsRemoved} blobs, ${r.packsDeleted} packs deleted, ${r.packsRepacked} repacked; ${(r.bytesBefore / MiB).toFixed(1)} → ${(r.bytesAfter / MiB).toFixed(1)} MiB\n`);
    });
  return repo;
}
