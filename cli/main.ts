#!/usr/bin/env node
import { Command } from 'commander';
import { pluginCommands } from './plugin-commands';

/** Entry point of the `berth` command. Exit codes: 0 ok, 1 operation failed, 2 bad usage or input. */
async function main(argv: string[]): Promise<void> {
  const program = new Command('berth')
    .description('Berth: a storage-first container orchestrator')
    .version('0.1.0')
    .showHelpAfterError();
  program.addCommand(pluginCommands());
  await program.parseAsync(argv);
}

main(process.argv).catch((error: unknown) => {
  process.stderr.write(`berth: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
