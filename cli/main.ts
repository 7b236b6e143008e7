#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ApiClient } from './api-client';
import { findApiToken } from './api-token';
import { backupCommands } from './backup-commands';
import { backupCommand } from './backup-create-commands';
import { describeError, exitCodeFor } from './exit-codes';
import { daemonCommands } from './daemon-commands';
import { execCommand } from './exec-command';
import { pluginCommands } from './plugin-commands';
import { resourceCommands } from './resource-commands';
import { repoCommand } from './repo-commands';
import { restoreCommand } from './restore-commands';
import { scheduleCommand } from './schedule-commands';
import { upCommand } from './up-command';

/** Entry point of the `berth` command; exit codes are listed in exit-codes.ts. */
async function main(argv: string[]): Promise<void> {
  const program = new Command('berth')
    .description('Berth: a storage-first container orchestrator')
    .version('0.1.0')
    .option('--server <url>', 'Berth API server', process.env.BERTH_SERVER ?? 'http://127.0.0.1:7420')
    .option('--token-file <path>', "file holding the API token (else $BERTH_TOKEN, ~/.config/berth/token, or the server's token in --data-dir)")
    .option('--data-dir <dir>', 'the data dir of `berth up` or `berth server`, where the server keeps its API token', '/var/lib/berth')
    .showHelpAfterError()
    // Global options go before the command (`berth --server URL get apps`), so a command may have
    // options of the same name (the NFS plugin's --server is the NFS server address).
    .enablePositionalOptions()
    .exitOverride();
  const api = () => {
    const opts = program.opts<{ server: string; tokenFile?: string; dataDir: string }>();
    const lookup = findApiToken({ tokenFile: opts.tokenFile, dataDir: opts.dataDir, env: process.env });
    const tokenHelp = lookup.token
      ? `the token came from ${lookup.looked.at(-1)}`
      : `no API token found; looked in: ${lookup.looked.join(', ')} (root can read the server's; others need --token-file or BERTH_TOKEN)`;
    return new ApiClient({ server: opts.server, token: lookup.token, tokenHelp });
  };
  program.addCommand(upCommand());
  for (const c of daemonCommands()) program.addCommand(c);
  program.addCommand(pluginCommands());
  program.addCommand(repoCommand(api));
  for (const c of resourceCommands(api)) program.addCommand(c);
  program.addCommand(execCommand(api));
  for (const c of backupCommands(api)) program.addCommand(c);
  program.addCommand(backupCommand(api));
  program.addCommand(scheduleCommand(api));
  program.addCommand(restoreCommand(api));
  for (const c of program.commands) c.exitOverride();
  await program.parseAsync(argv);
}

main(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    // --help and --version end here too, with code 0.
    process.exit(error.exitCode === 0 ? 0 : 2);
  }
  process.stderr.write(`berth: ${describeError(error)}\n`);
  process.exit(exitCodeFor(error));
});
