import { execFile, spawn } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { ExecSession, ExecSessionOptions } from './executor';
import { RuntimeError } from './errors';

/** `'it'\''s'`: one word for sh, whatever it holds. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * argv that runs `argv` on a new pseudo-terminal: util-linux script(1) makes one (Node has none
 * without a native module), sets its size first, and exits with the command's code (-e).
 */
export function onTerminal(argv: readonly string[], cols?: number, rows?: number): string[] {
  const size = cols && rows ? `stty cols ${cols} rows ${rows} 2>/dev/null; ` : '';
  return ['script', '--quiet', '--return', '--flush', '--command', `${size}exec ${argv.map(shellQuote).join(' ')}`, '/dev/null'];
}

/** The terminal script(1) gave its command: the stdin of its child. */
function terminalOf(scriptPid: number): string | undefined {
  try {
    const child = readFileSync(`/proc/${scriptPid}/task/${scriptPid}/children`, 'utf8').trim().split(/\s+/)[0];
    const tty = child ? readlinkSync(`/proc/${child}/fd/0`) : '';
    return tty.startsWith('/dev/pts/') ? tty : undefined;
  } catch {
    return undefined;
  }
}

/** Spawns an operator's command (argv already set up to run in the task) as its own process group. */
export function spawnExecSession(
  taskId: string,
  argv: readonly string[],
  env: Record<string, string>,
  cwd: string,
  options: ExecSessionOptions,
): Promise<ExecSession> {
  const full = options.tty ? onTerminal(argv, options.cols, options.rows) : [...argv];
  const child = spawn(full[0] as string, full.slice(1), {
    env,
    cwd,
    stdio: [options.stdin || options.tty ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout?.on('data', (c: Buffer) => options.onStdout(c));
  child.stderr?.on('data', (c: Buffer) => options.onStderr(c));
  // A command that exits before reading its stdin: what is still written goes nowhere.
  child.stdin?.on('error', () => undefined);
  // script(1) needs a stdin to copy from; without one asked for, it gets an empty one.
  if (options.tty && !options.stdin) child.stdin?.end();
  const exit = new Promise<number>((resolve, reject) => {
    child.once('error', (error) => reject(new RuntimeError('exec', taskId, error.message)));
    child.once('close', (code, signal) => resolve(code ?? 128 + (signal ? osConstants.signals[signal] : 0)));
  });
  // Rejected only when the spawn failed, which the promise below reports.
  exit.catch(() => undefined);
  return new Promise((resolve, reject) => {
    child.once('error', (error) => reject(new RuntimeError('exec', taskId, error.message)));
    child.once('spawn', () =>
      resolve({
        exit,
        write: (data) => void child.stdin?.write(data),
        closeStdin: () => void child.stdin?.end(),
        resize: (cols, rows) => {
          const tty = options.tty && child.pid ? terminalOf(child.pid) : undefined;
          // Setting the size signals SIGWINCH to the terminal's foreground programs.
          if (tty) execFile('stty', ['-F', tty, 'cols', String(cols), 'rows', String(rows)], () => undefined);
        },
        kill: () => {
          try {
            process.kill(-(child.pid as number), 'SIGKILL');
          } catch {
            /* gone */
          }
        },
      }),
    );
  });
}
