import { Command } from 'commander';
import { taskLogs } from '../api';
import type { ApiClient } from './api-client';
import { UsageError } from './output';
import { parseSince } from './since';

/** `berth logs TASK [-f] [--tail N] [--since 10m|RFC3339]`. */
export function logsCommand(api: () => ApiClient): Command {
  return new Command('logs')
    .description('print the output of a task (e.g. pg-0); -f follows it until the task stops (or Ctrl-C)')
    .argument('<task>')
    .option('--tail <n>', 'only the last n lines')
    .option('--since <when>', 'only what was written since then: a duration (10m, 1h30m, 2d) or an RFC 3339 time')
    .option('-f, --follow', 'keep printing what the task writes, until it stops')
    .action(async (task: string, opts: { tail?: string; since?: string; follow?: boolean }) => {
      // The server checks --tail (a whole number ≥ 1): what is not a number arrives as NaN and is refused.
      if (opts.tail !== undefined && !/^\d+$/.test(opts.tail)) throw new UsageError(`--tail must be a whole number, got ${JSON.stringify(opts.tail)}`);
      const query = {
        ...(opts.tail ? { tail: Number(opts.tail) } : {}),
        ...(opts.since !== undefined ? { since: parseSince(opts.since).toISOString() } : {}),
      };
      if (!opts.follow) {
        const res = await api().call(taskLogs, { params: { id: task }, query });
        process.stdout.write(res.logs);
        return;
      }
      const res = await api().open(taskLogs, { params: { id: task }, query: { ...query, follow: true } });
      // Ctrl-C ends the follow; closing the connection ends it on the server and the agent too.
      let interrupted = false;
      const stop = () => {
        interrupted = true;
        res.destroy();
      };
      process.once('SIGINT', stop);
      try {
        for await (const chunk of res) {
          if (!process.stdout.write(chunk as Buffer)) await new Promise((r) => process.stdout.once('drain', r));
        }
      } catch (error) {
        // Ctrl-C: a follow ended by its reader is no failure.
        if (!interrupted) throw error;
      } finally {
        process.off('SIGINT', stop);
      }
    });
}
