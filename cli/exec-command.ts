import { Command } from 'commander';
import { PassThrough } from 'node:stream';
import { execInTask } from '../api';
import { BerthError, isErrorCode } from '../lib/errors';
import { ndjsonValues } from '../lib/streams/ndjson';
import type { ApiClient } from './api-client';

interface ExecOptions {
  stdin?: boolean;
  tty?: boolean;
}

const frame = (value: object) => `${JSON.stringify(value)}\n`;

/**
 * `berth exec [-i] [-t] TASK -- CMD…`: runs CMD in the running task, its output streamed here, its exit
 * code the CLI's. With neither -i nor -t, both are on when stdin and stdout are a terminal (an
 * interactive shell just works; a pipe or a file gets plain output).
 */
export function execCommand(api: () => ApiClient): Command {
  return new Command('exec')
    .description('run a command in a running task (e.g. berth exec pg-0 -- psql); exits with its exit code')
    .argument('<task>')
    .argument('<command...>', 'the command and its arguments (after --)')
    .option('-i, --stdin', "pass this terminal's stdin to the command")
    .option('-t, --tty', 'run the command on a terminal (stdout and stderr become one stream)')
    .action(async (task: string, command: string[], opts: ExecOptions) => {
      const terminal = process.stdin.isTTY === true && process.stdout.isTTY === true;
      const auto = opts.stdin === undefined && opts.tty === undefined && terminal;
      const stdin = opts.stdin ?? auto;
      const tty = opts.tty ?? auto;
      const size = tty && process.stdout.isTTY ? { cols: process.stdout.columns, rows: process.stdout.rows } : {};
      const body = new PassThrough();
      body.write(frame({ command, tty, stdin, ...size }));
      if (!stdin) body.end();
      const res = await api().open(execInTask, { params: { id: task } }, { contentType: 'application/x-ndjson', stream: body });

      const raw = stdin && tty && process.stdin.isTTY === true;
      const onResize = () => body.write(frame({ cols: process.stdout.columns, rows: process.stdout.rows }));
      if (stdin) {
        // Raw: every key goes to the command's terminal as typed (Ctrl-C included), nothing is echoed here.
        if (raw) process.stdin.setRawMode(true);
        process.stdin.on('data', (d: Buffer) => body.write(frame({ stdin: d.toString('base64') })));
        process.stdin.on('end', () => body.end(frame({ stdinClosed: true })));
      }
      if (tty && process.stdout.isTTY) process.stdout.on('resize', onResize);
      let exitCode: number | undefined;
      try {
        for await (const value of ndjsonValues(res)) {
          const f = value as { stdout?: string; stderr?: string; exitCode?: number; error?: { code?: unknown; message?: string } };
          if (f.stdout) process.stdout.write(Buffer.from(f.stdout, 'base64'));
          if (f.stderr) process.stderr.write(Buffer.from(f.stderr, 'base64'));
          if (typeof f.exitCode === 'number') exitCode = f.exitCode;
          if (f.error) throw new BerthError(isErrorCode(f.error.code) ? f.error.code : 'unavailable', f.error.message ?? 'the session broke');
        }
      } finally {
        if (raw) process.stdin.setRawMode(false);
        process.stdout.off('resize', onResize);
        process.stdin.pause();
        body.end();
      }
      if (exitCode === undefined) throw new BerthError('unavailable', `the session with ${task} ended before the command's exit code arrived`);
      // stdout and stderr are written synchronously on Linux (files, pipes, terminals): nothing is lost.
      process.exit(exitCode);
    });
}
