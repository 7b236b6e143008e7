/**
 * One cgroup per process task, named after the task id: the marker by which every process a task
 * started is found again — also the ones that left its process group (setsid, daemons), and also by an
 * agent that crashed and lost its memory of the task. The wrapper shell joins the cgroup before it runs
 * the command, so no process of the task ever runs outside it, and children inherit it.
 *
 * Used only to find and signal processes (no controller is enabled), so any writable hierarchy does:
 * the cgroup2 mount first (`cgroup.kill` ends the whole cgroup at once, forks included), else a v1
 * `pids` or `freezer` hierarchy (killing then repeats over `cgroup.procs` until it is empty).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmdirSync, writeFileSync } from 'node:fs';
import { subdirectories } from '../../lib/files/subdirectories';
import { join } from 'node:path';
import { readProcStat } from './proc-stat';
import { validateTaskId } from './task-spec';

/** cgroup2 first, then the v1 hierarchies that exist on most hybrid systems, from /proc/self/mounts. */
function candidateMounts(): string[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return [];
  }
  const v2: string[] = [];
  const v1: string[] = [];
  for (const line of text.split('\n')) {
    const [, path, type, options = ''] = line.split(' ');
    if (!path || path.includes('\\')) continue; // escaped characters: not a mount we would pick
    if (type === 'cgroup2') v2.push(path);
    else if (type === 'cgroup' && /(^|,)(pids|freezer)(,|$)/.test(options)) v1.push(path);
  }
  // pids before freezer: either works; the order only makes the choice stable.
  v1.sort((a, b) => Number(b.endsWith('pids')) - Number(a.endsWith('pids')));
  return [...v2, ...v1];
}

function isZombieOrGone(pid: number): boolean {
  const stat = readProcStat(pid);
  return !stat || stat.state === 'Z' || stat.state === 'X';
}

export class TaskCgroups {
  private constructor(
    /** The directory holding this executor's task cgroups. */
    readonly root: string,
    readonly version: 1 | 2,
  ) {}

  /**
   * The cgroups of the executor whose state lives in `stateDir`: `<mount>/berth/<hash of stateDir>`,
   * so several agents on one machine (tests) never share a task's cgroup. `root` overrides the
   * directory (it must be inside a cgroup hierarchy). Undefined when no hierarchy is writable, with
   * the reasons.
   */
  static open(stateDir: string, root?: string): { cgroups?: TaskCgroups; problems: string[] } {
    const problems: string[] = [];
    const key = createHash('sha256').update(realpathSync(stateDir)).digest('hex').slice(0, 16);
    const mounts = candidateMounts();
    const dirs = root ? [root] : mounts.map((m) => join(m, 'berth', key));
    if (dirs.length === 0) problems.push('no cgroup hierarchy is mounted');
    for (const dir of dirs) {
      try {
        mkdirSync(dir, { recursive: true });
        if (!existsSync(join(dir, 'cgroup.procs'))) throw new Error('not a cgroup directory (no cgroup.procs)');
        // Only cgroup2 directories have cgroup.controllers.
        const cgroups = new TaskCgroups(dir, existsSync(join(dir, 'cgroup.controllers')) ? 2 : 1);
        cgroups.removeRootIfEmpty(); // proven writable; `prepare` makes it again for a task
        return { cgroups, problems };
      } catch (error) {
        problems.push(`${dir}: ${(error as Error).message}`);
      }
    }
    return { problems };
  }

  /** The task's cgroup directory. The task id is validated: it becomes a path component. */
  dir(taskId: string): string {
    validateTaskId(taskId);
    return join(this.root, taskId);
  }

  /** Creates the task's cgroup (idempotent); returns the file a process writes its pid to, to join it. */
  prepare(taskId: string): string {
    const dir = this.dir(taskId);
    mkdirSync(dir, { recursive: true });
    return join(dir, 'cgroup.procs');
  }

  /** Live processes in the task's cgroup (zombies are done: they hold no file and no mount). */
  members(taskId: string): number[] {
    let text: string;
    try {
      text = readFileSync(join(this.dir(taskId), 'cgroup.procs'), 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((l) => /^\d+$/.test(l))
      .map(Number)
      .filter((pid) => !isZombieOrGone(pid));
  }

  /** Sends `signal` to every process of the task. */
  signal(taskId: string, signal: NodeJS.Signals): void {
    for (const pid of this.members(taskId)) {
      try {
        process.kill(pid, signal);
      } catch {
        /* exited meanwhile */
      }
    }
  }

  /** SIGKILL to every process of the task; with cgroup2, including processes forked while it runs. */
  kill(taskId: string): void {
    const killFile = join(this.dir(taskId), 'cgroup.kill');
    if (this.version === 2 && existsSync(killFile)) {
      try {
        writeFileSync(killFile, '1');
        return;
      } catch {
        /* an older kernel: signal one by one */
      }
    }
    this.signal(taskId, 'SIGKILL');
  }

  /**
   * Removes the task's (empty) cgroup; false when processes still hold it. The executor's directory
   * goes too once it holds no task (an agent's state dir may be gone for good, as in tests); `prepare`
   * makes it again, in the same synchronous step as the task's cgroup.
   */
  remove(taskId: string): boolean {
    try {
      rmdirSync(this.dir(taskId));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return false;
    }
    this.removeRootIfEmpty();
    return true;
  }

  private removeRootIfEmpty(): void {
    try {
      rmdirSync(this.root);
    } catch {
      /* other tasks' cgroups are in it */
    }
  }

  /** Task ids that have a cgroup here: found again after an agent restart, recorded or not. */
  taskIds(): string[] {
    return subdirectories(this.root);
  }
}
