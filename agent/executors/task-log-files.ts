/**
 * The output of process tasks, kept on disk and bounded. One directory per task:
 *   output.log         — what the task writes (stdout and stderr), opened O_APPEND by the task itself
 *   output.log.<base>  — rotated files; <base> is the logical offset of their first byte
 *   base               — the logical offset of output.log's first byte
 *   times              — "unixMs offset" checkpoints: how `since` becomes an offset
 * Logical offsets only grow, so a reader that follows a task keeps its place across rotations.
 *
 * The task holds output.log open for its whole life — across agent restarts, when no agent reads its
 * output — so rotation copies the file and then truncates it (O_APPEND makes the task write at the
 * new end). A line written between the copy and the truncation is lost: the price of a task that
 * never depends on the agent being there. The bound holds while the agent runs (it checks every
 * second), and a file may overshoot it by what a task writes in that second.
 *
 * The directory lives apart from the task's runtime state: the logs survive the task's removal (a
 * restart, an agent drain under `berth up`) and go only with `remove()`, when the task is gone for good.
 */
import { closeSync, constants, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../lib/files/atomic-file';
import { subdirectories } from '../../lib/files/subdirectories';

export interface LogBounds {
  /** A file is rotated once it is larger than this. */
  readonly maxBytes: number;
  /** Files kept per task, the one being written included. */
  readonly maxFiles: number;
}

export const DEFAULT_LOG_BOUNDS: LogBounds = { maxBytes: 10 * 1024 * 1024, maxFiles: 3 };

/** Checkpoints are at most this far apart in time: `since` is as precise as this. */
const CHECKPOINT_MS = 1000;
/** Past this many checkpoints, every other older one goes (older times get coarser, the file stays small). */
const MAX_CHECKPOINTS = 4096;
const CURRENT = 'output.log';

interface LogFile {
  readonly path: string;
  /** Logical offset of the file's first byte. */
  readonly base: number;
  readonly size: number;
}

interface Checkpoint {
  readonly at: number;
  readonly offset: number;
}

/** What was read: the bytes, and the logical offset just after them (where a follower reads on). */
export interface LogRead {
  readonly data: Buffer;
  readonly end: number;
}

function readRange(path: string, from: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, length, from);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** The last `lines` lines of `data` (a final newline does not start a line). */
export function lastLines(data: Buffer, lines: number): Buffer {
  if (lines <= 0) return Buffer.alloc(0);
  let seen = 0;
  let i = data.length - 1;
  if (i >= 0 && data[i] === 0x0a) i--;
  for (; i >= 0; i--) {
    if (data[i] === 0x0a && ++seen === lines) return data.subarray(i + 1);
  }
  return data;
}

export class TaskLogFiles {
  /** Per task: the last checkpoint written by this agent, and how many the file holds. */
  private readonly checkpoints = new Map<string, { at: number; offset: number; count: number }>();

  constructor(
    readonly root: string,
    readonly bounds: LogBounds = DEFAULT_LOG_BOUNDS,
  ) {
    if (!(bounds.maxBytes > 0) || !Number.isInteger(bounds.maxFiles) || bounds.maxFiles < 1) {
      throw new Error(`log bounds must be a size > 0 and at least 1 file, got ${bounds.maxBytes} bytes × ${bounds.maxFiles} files`);
    }
  }

  dir(taskId: string): string {
    return join(this.root, taskId);
  }

  /** The descriptor a task's stdout and stderr go to: appended to, created 0600. The caller closes it. */
  openForTask(taskId: string): number {
    mkdirSync(this.dir(taskId), { recursive: true, mode: 0o700 });
    return openSync(join(this.dir(taskId), CURRENT), constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND, 0o600);
  }

  /** Whether any output of the task is kept. */
  has(taskId: string): boolean {
    return this.files(taskId).length > 0;
  }

  taskIds(): string[] {
    return subdirectories(this.root);
  }

  remove(taskId: string): void {
    this.checkpoints.delete(taskId);
    rmSync(this.dir(taskId), { recursive: true, force: true });
  }

  /** The logical offset just after the last byte written so far. */
  end(taskId: string): number {
    const files = this.files(taskId);
    const last = files.at(-1);
    return last ? last.base + last.size : 0;
  }

  /** Rotates output.log once it outgrew the bound and records where the output stands now (every second). */
  maintain(taskId: string, now = Date.now()): void {
    const current = this.files(taskId).find((f) => f.path.endsWith(`/${CURRENT}`));
    if (!current) return;
    if (current.size > this.bounds.maxBytes) this.rotate(taskId, current);
    this.checkpoint(taskId, now);
  }

  /**
   * The kept output: all of it, or what was written since `sinceMs` (to about a second), then only the
   * last `tail` lines of that.
   */
  read(taskId: string, options: { tail?: number; sinceMs?: number } = {}): LogRead {
    const from = options.sinceMs !== undefined ? this.offsetAt(taskId, options.sinceMs) : 0;
    const { data, end } = this.readFrom(taskId, from, Number.MAX_SAFE_INTEGER, options.sinceMs !== undefined);
    return { data: options.tail !== undefined ? lastLines(data, options.tail) : data, end };
  }

  /**
   * Up to `max` bytes from logical offset `from` (what was rotated away is skipped). `lineStart`: a
   * partial line at `from` is skipped (it began before the point asked for).
   */
  readFrom(taskId: string, from: number, max = 1024 * 1024, lineStart = false): LogRead {
    const files = this.files(taskId);
    const parts: Buffer[] = [];
    let at = Math.max(from, files[0]?.base ?? 0);
    let left = max;
    let skipPartial = lineStart && at > (files[0]?.base ?? 0);
    for (const f of files) {
      if (left <= 0) break;
      if (f.base + f.size <= at) continue;
      const offset = Math.max(0, at - f.base);
      if (skipPartial && offset > 0 && readRange(f.path, offset - 1, 1)[0] !== 0x0a) {
        const rest = readRange(f.path, offset, f.size - offset);
        const nl = rest.indexOf(0x0a);
        if (nl < 0) {
          at = f.base + f.size;
          continue;
        }
        at += nl + 1;
      }
      skipPartial = false;
      const start = at - f.base;
      const chunk = readRange(f.path, start, Math.min(left, f.size - start));
      parts.push(chunk);
      at += chunk.length;
      left -= chunk.length;
    }
    return { data: Buffer.concat(parts), end: at };
  }

  /** Files oldest first, output.log last. */
  private files(taskId: string): LogFile[] {
    const dir = this.dir(taskId);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    const out: LogFile[] = [];
    for (const name of names) {
      const m = /^output\.log\.(\d+)$/.exec(name);
      if (!m) continue;
      const path = join(dir, name);
      out.push({ path, base: Number(m[1]), size: statSync(path).size });
    }
    out.sort((a, b) => a.base - b.base);
    if (names.includes(CURRENT)) {
      const path = join(dir, CURRENT);
      out.push({ path, base: this.currentBase(taskId), size: statSync(path).size });
    }
    return out;
  }

  private currentBase(taskId: string): number {
    try {
      const n = Number(readFileSync(join(this.dir(taskId), 'base'), 'utf8').trim());
      return Number.isSafeInteger(n) && n >= 0 ? n : 0;
    } catch {
      return 0;
    }
  }

  private rotate(taskId: string, current: LogFile): void {
    const data = readFileSync(current.path);
    writeFileSync(join(this.dir(taskId), `${CURRENT}.${current.base}`), data, { mode: 0o600 });
    truncateSync(current.path, 0);
    writeFileAtomic(join(this.dir(taskId), 'base'), `${current.base + data.length}\n`, 0o600);
    const rotated = this.files(taskId).filter((f) => f.path !== current.path);
    for (const old of rotated.slice(0, Math.max(0, rotated.length - (this.bounds.maxFiles - 1)))) rmSync(old.path, { force: true });
    const oldest = this.files(taskId)[0]?.base ?? 0;
    this.rewriteCheckpoints(
      taskId,
      this.readCheckpoints(taskId).filter((c) => c.offset >= oldest),
    );
  }

  private checkpoint(taskId: string, now: number): void {
    const end = this.end(taskId);
    const last = this.checkpoints.get(taskId);
    if (last && (last.offset === end || now - last.at < CHECKPOINT_MS)) return;
    if (!last) {
      const kept = this.readCheckpoints(taskId);
      const latest = kept.at(-1);
      this.checkpoints.set(taskId, { at: latest?.at ?? 0, offset: latest?.offset ?? -1, count: kept.length });
      if (latest?.offset === end) return;
    }
    const state = this.checkpoints.get(taskId)!;
    writeFileSync(join(this.dir(taskId), 'times'), `${now} ${end}\n`, { flag: 'a', mode: 0o600 });
    Object.assign(state, { at: now, offset: end, count: state.count + 1 });
    if (state.count > MAX_CHECKPOINTS) {
      const all = this.readCheckpoints(taskId);
      const half = all.length >> 1;
      this.rewriteCheckpoints(taskId, [...all.slice(0, half).filter((_, i) => i % 2 === 1), ...all.slice(half)]);
    }
  }

  private readCheckpoints(taskId: string): Checkpoint[] {
    let text: string;
    try {
      text = readFileSync(join(this.dir(taskId), 'times'), 'utf8');
    } catch {
      return [];
    }
    const out: Checkpoint[] = [];
    for (const line of text.split('\n')) {
      const [at, offset] = line.split(' ').map(Number);
      if (Number.isSafeInteger(at) && Number.isSafeInteger(offset)) out.push({ at, offset });
    }
    return out;
  }

  private rewriteCheckpoints(taskId: string, list: readonly Checkpoint[]): void {
    writeFileAtomic(join(this.dir(taskId), 'times'), list.map((c) => `${c.at} ${c.offset}\n`).join(''), 0o600);
    const state = this.checkpoints.get(taskId);
    if (state) state.count = list.length;
  }

  /** Where output written at or after `sinceMs` begins: the output's size at the last checkpoint before it. */
  private offsetAt(taskId: string, sinceMs: number): number {
    let offset = 0;
    for (const c of this.readCheckpoints(taskId)) {
      if (c.at > sinceMs) break;
      offset = c.offset;
    }
    return offset;
  }
}
