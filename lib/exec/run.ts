import { execFile } from 'node:child_process';

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly args: string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${command} ${args.join(' ')} failed (exit ${exitCode}): ${stderr.trim() || 'no output'}`);
    this.name = 'CommandError';
  }
}

export interface RunOptions {
  timeoutMs?: number;
  /** Bytes to feed on stdin. */
  input?: string | Buffer;
}

/**
 * Runs a system tool without a shell (arguments are never interpreted, so ids and paths cannot inject
 * commands) and resolves with its stdout. A non-zero exit rejects with a CommandError carrying stderr.
 */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const code = typeof (error as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? (error as unknown as { code: number }).code : null;
        reject(new CommandError(command, args, code, String(stderr || error.message)));
      } else {
        resolve(String(stdout));
      }
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
