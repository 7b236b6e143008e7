/**
 * The process runtime's only memory: one directory per task under the state dir, holding
 *   task.json   — what was started (pid + start ticks identify the process; env and cwd for exec)
 *   exit-code   — written by the wrapper shell when the command exits (see process.ts)
 *   start-token — the token of the newest start: a wrapper carrying another one does not run its command
 * A restarted agent rebuilds everything from these files, like the docker runtime does from labels.
 * The task's output is kept apart (task-log-files.ts, in a directory whose name starts with '.'), so
 * that it outlives the task's removal.
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { subdirectories } from '../../lib/files/subdirectories';
import { join } from 'node:path';
import { writeFileAtomic } from '../../lib/files/atomic-file';
import type { NodeUser } from './node-user';

export interface ProcessTaskRecord {
  readonly version: 1;
  readonly taskId: string;
  readonly app: string;
  readonly instance: number;
  /** pid of the wrapper shell: session and process-group leader of the task. */
  readonly pid: number;
  /** Start time of that pid in clock ticks since boot; undefined if it exited before we could read it. */
  readonly startTicks?: number;
  readonly startedAt: string;
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  /** Set by stop() when it had to SIGKILL the wrapper, which then never wrote exit-code. */
  readonly killedAt?: string;
  /** The task runs in its own cgroup (task-cgroups.ts); absent for tasks started before cgroups, or without them. */
  readonly cgroup?: true;
  /** The user the command runs as (resolved on this node); absent: the agent's user. */
  readonly user?: NodeUser;
  /** The command runs in a PID and mount namespace of its own (task-namespace.ts). */
  readonly namespaces?: true;
}

export class ProcessStateDir {
  constructor(readonly root: string) {}

  taskDir(taskId: string): string {
    return join(this.root, taskId);
  }
  exitPath(taskId: string): string {
    return join(this.taskDir(taskId), 'exit-code');
  }
  /** Where the task's private /tmp is put together before it is moved onto /tmp (inside its namespace only). */
  tmpStagePath(taskId: string): string {
    return join(this.taskDir(taskId), 'tmp');
  }
  startTokenPath(taskId: string): string {
    return join(this.taskDir(taskId), 'start-token');
  }
  private recordPath(taskId: string): string {
    return join(this.taskDir(taskId), 'task.json');
  }

  read(taskId: string): ProcessTaskRecord | undefined {
    let text: string;
    try {
      text = readFileSync(this.recordPath(taskId), 'utf8');
    } catch {
      return undefined;
    }
    const parsed = JSON.parse(text) as ProcessTaskRecord;
    return parsed.version === 1 && parsed.taskId === taskId ? parsed : undefined;
  }

  /** Atomic and durable: a crash leaves the old record or the new one, never half of one. Mode 0600: env may hold secrets. */
  write(record: ProcessTaskRecord): void {
    writeFileAtomic(this.recordPath(record.taskId), JSON.stringify(record, null, 2), 0o600);
  }

  /** The wrapper's exit code and when it was written, if the command has exited. */
  readExit(taskId: string): { code: number; at: string } | undefined {
    try {
      const path = this.exitPath(taskId);
      const code = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
      return Number.isSafeInteger(code) ? { code, at: statSync(path).mtime.toISOString() } : undefined;
    } catch {
      return undefined;
    }
  }

  taskIds(): string[] {
    // Task ids never start with '.': such a directory is not a task's (the kept logs are one).
    return subdirectories(this.root).filter((name) => !name.startsWith('.'));
  }

  /** Written before any process of the start exists (durably: it must outlive an agent crash). */
  writeStartToken(taskId: string, token: string): void {
    writeFileAtomic(this.startTokenPath(taskId), `${token}\n`, 0o600);
  }

  /** Forgets the previous run (record and exit code), keeping the directory and the start token. */
  clearRun(taskId: string): void {
    rmSync(this.recordPath(taskId), { force: true });
    rmSync(this.exitPath(taskId), { force: true });
  }

  removeTask(taskId: string): void {
    rmSync(this.taskDir(taskId), { recursive: true, force: true });
  }
}
