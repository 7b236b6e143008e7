import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const BERTH_BIN = join(__dirname, '..', '..', 'cli', 'main.js');

/** Node flags for the server alone (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`): NODE_OPTIONS would reach the bench process too. */
const SERVER_NODE_FLAGS = (process.env.BENCH_SERVER_NODE_FLAGS ?? '').split(' ').filter((f) => f.length > 0);

/** Kernel clock ticks per second, the unit of /proc/<pid>/stat times. */
const CLOCK_TICKS = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return n > 0 ? n : 100;
})();

/**
 * A real `berth server` as a child process (node running the CLI directly, so the pid is the server's
 * own): started, killed with SIGKILL and started again on the same data dir and ports, stopped. Its
 * output goes to a log file, so a full pipe can never stall it.
 */
export class ServerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(readonly options: { dataDir: string; apiPort: number; agentPort: number; token: string; logFile: string; nodeDownAfterSeconds: number }) {}

  get apiUrl(): string {
    return `http://127.0.0.1:${this.options.apiPort}`;
  }
  get agentAddress(): string {
    return `127.0.0.1:${this.options.agentPort}`;
  }
  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const o = this.options;
    const log = openSync(o.logFile, 'a');
    try {
      const child = spawn(
        process.execPath,
        [
          ...SERVER_NODE_FLAGS,
          BERTH_BIN,
          'server',
          '--data-dir',
          o.dataDir,
          '--listen',
          `127.0.0.1:${o.apiPort}`,
          '--agent-listen',
          `127.0.0.1:${o.agentPort}`,
          '--node-down-after',
          String(o.nodeDownAfterSeconds),
        ],
        {
          // The token by environment, not argv (argv is world-readable in /proc).
          env: { ...process.env, BERTH_TOKEN: o.token, BERTH_LOG_LEVEL: process.env.BERTH_LOG_LEVEL ?? 'warn' },
          stdio: ['ignore', log, log],
        },
      );
      this.child = child;
      this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    } finally {
      closeSync(log);
    }
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** kill -9, and wait until the process is gone. */
  async kill9(): Promise<void> {
    // A profiled server must exit on its own to write its profile: the restart figures then mean nothing.
    if (this.running) this.child!.kill(SERVER_NODE_FLAGS.some((f) => f.startsWith('--cpu-prof')) ? 'SIGTERM' : 'SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) await this.kill9();
  }

  /** How long a bare `berth --version` takes from spawn to exit: the floor under any restart time. */
  bareStartMs(): Promise<number> {
    const started = performance.now();
    // Not spawnSync: this process's event loop serves the simulated agents meanwhile.
    const child = spawn(process.execPath, [BERTH_BIN, '--version'], { stdio: 'ignore', timeout: 30_000 });
    return new Promise((resolve) => child.once('exit', () => resolve(performance.now() - started)));
  }

  /** User + system CPU time the server has used, in seconds (/proc/<pid>/stat utime and stime). */
  cpuSeconds(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start with the state: utime and stime are 14th and 15th overall.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  }

  /** Resident memory in bytes (/proc/<pid>/status VmRSS). */
  rssBytes(): number {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  }

  /** The server's log lines at warn level or above (pino JSON, level ≥ 40). */
  problems(): string[] {
    try {
      return readFileSync(this.options.logFile, 'utf8')
        .split('\n')
        .filter((l) => {
          const m = /"level":(\d+)/.exec(l);
          return m ? Number(m[1]) >= 40 : false;
        });
    } catch {
      return [];
    }
  }

  /** The last lines of the server's log (for a failure message). */
  logTail(lines = 20): string {
    try {
      return readFileSync(this.options.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}
