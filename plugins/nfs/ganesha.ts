import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../../lib/files/atomic-file';
import { Logger } from '../../lib/logging/logger';
import { GaneshaOptions } from './driver-config';

export interface ReloadResult {
  /** False when no ganesha process runs: the config is written and takes effect when ganesha starts. */
  running: boolean;
  /** Export paths ganesha reported it could not create during this reload (only known with a log file). */
  failedPaths: string[];
  /** False when ganesha did not confirm the reload in time (or no log file was given to confirm it). */
  confirmed: boolean;
}

const RELOAD_DONE = 'Reread exports complete';
const EXPORT_FAILED = /Could not create export for \((.*?)\) to \((.*?)\)/g;

/**
 * The ganesha process this plugin configures. `apply` replaces the config file atomically (temp file,
 * fsync, rename: ganesha never reads a half-written file) and sends SIGHUP, which makes ganesha re-read
 * its exports: new ones are added, changed CLIENT lists updated, missing ones removed. Applies are
 * serialized so each reload is confirmed before the next rewrite.
 */
export class Ganesha {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly options: GaneshaOptions,
    private readonly log: Logger,
  ) {}

  apply(config: string): Promise<ReloadResult> {
    const next = this.queue.then(() => this.applyNow(config));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** The pid of the running ganesha, or undefined. The pid must name a ganesha process: a stale pidfile never gets a signal sent to a stranger. */
  pid(): number | undefined {
    if (!existsSync(this.options.pidFile)) return undefined;
    const pid = Number(readFileSync(this.options.pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 1) return undefined;
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      return comm.startsWith('ganesha') ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  private logSize(): number {
    const file = this.options.logFile;
    return file && existsSync(file) ? statSync(file).size : 0;
  }

  private readLogFrom(offset: number): string {
    const file = this.options.logFile;
    if (!file || !existsSync(file)) return '';
    const size = statSync(file).size;
    if (size <= offset) return '';
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(size - offset);
      readSync(fd, buf, 0, buf.length, offset);
      return buf.toString('utf8');
    } finally {
      closeSync(fd);
    }
  }

  private async applyNow(config: string): Promise<ReloadResult> {
    writeFileAtomic(this.options.configPath, config, 0o644);
    const pid = this.pid();
    if (pid === undefined) {
      this.log.warn({ pidFile: this.options.pidFile }, 'ganesha is not running; config written, it applies when ganesha starts');
      return { running: false, failedPaths: [], confirmed: false };
    }
    const offset = this.logSize();
    process.kill(pid, 'SIGHUP');
    if (!this.options.logFile) {
      // Without the log there is no way to see the reload finish; ganesha takes ~40 ms here.
      await sleep(250);
      return { running: true, failedPaths: [], confirmed: false };
    }
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const text = this.readLogFrom(offset);
      if (text.includes(RELOAD_DONE)) {
        const failedPaths = [...text.matchAll(EXPORT_FAILED)].map((m) => m[2]);
        if (failedPaths.length > 0) this.log.error({ failedPaths }, 'ganesha could not create some exports');
        return { running: true, failedPaths, confirmed: true };
      }
      await sleep(20);
    }
    this.log.warn({ logFile: this.options.logFile }, 'ganesha did not confirm the export reload within 10 s');
    return { running: true, failedPaths: [], confirmed: false };
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
