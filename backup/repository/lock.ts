import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Backend } from './backend';
import { RepositoryLockedError } from './errors';

/**
 * The protocol that makes prune safe next to running backups and restores.
 *
 * - Writers (backups), readers (restores) and check take a SHARED lock; prune takes an EXCLUSIVE one.
 * - A lock is an object `locks/<random>` with its kind, host, pid and a refresh time. To acquire,
 *   a process first writes its own lock, then lists all locks: if any conflicting lock is live, it
 *   deletes its own and fails (or retries until `waitMs`). Because every process writes before it
 *   looks, two conflicting processes can never both proceed (at worst both back off and retry).
 * - Why prune needs this: a backup deduplicates against blobs it finds in the index and references
 *   them from its manifest only at commit. Prune cannot see those references, so it must never run
 *   while a writer is between "found in index" and "manifest written". And a repack moves blobs,
 *   which would break a restore that loaded the index before the move.
 * - Holders refresh their lock every `REFRESH_MS`. A lock is stale (ignored, and removed by prune)
 *   when it was not refreshed for `STALE_MS`, or it belongs to this host and its pid is gone.
 * - After acquiring a shared lock, a writer reloads the index from disk (a prune may have run since
 *   the repository was opened), so it never deduplicates against a blob prune deleted.
 */

export type LockKind = 'shared' | 'exclusive';

interface LockRecord {
  kind: LockKind;
  host: string;
  pid: number;
  createdAt: string;
  refreshedAt: string;
  purpose: string;
}

const REFRESH_MS = 60_000;
const STALE_MS = 10 * 60_000;

export class RepositoryLock {
  private timer: NodeJS.Timeout | undefined;
  private released = false;

  private constructor(
    private readonly backend: Backend,
    readonly name: string,
    private record: LockRecord,
  ) {}

  get kind(): LockKind {
    return this.record.kind;
  }

  static async acquire(backend: Backend, kind: LockKind, purpose: string, waitMs = 0): Promise<RepositoryLock> {
    const deadline = Date.now() + waitMs;
    for (let attempt = 0; ; attempt++) {
      const now = new Date().toISOString();
      const record: LockRecord = { kind, host: hostname(), pid: process.pid, createdAt: now, refreshedAt: now, purpose };
      const name = `locks/${randomBytes(16).toString('hex')}`;
      await backend.write(name, Buffer.from(JSON.stringify(record)));
      const conflicts = (await liveLocks(backend)).filter((lock) => lock.name !== name && (kind === 'exclusive' || lock.record.kind === 'exclusive'));
      if (conflicts.length === 0) {
        const lock = new RepositoryLock(backend, name, record);
        lock.startRefreshing();
        return lock;
      }
      await backend.delete(name);
      if (Date.now() >= deadline) {
        throw new RepositoryLockedError(
          kind,
          conflicts.map((c) => `${c.record.kind} lock for ${c.record.purpose} by pid ${c.record.pid} on ${c.record.host} since ${c.record.createdAt}`),
        );
      }
      // Randomized backoff so two processes retrying together do not keep colliding.
      await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 50 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random())));
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.timer) clearInterval(this.timer);
    await this.backend.delete(this.name);
  }

  private startRefreshing(): void {
    this.timer = setInterval(() => {
      this.record = { ...this.record, refreshedAt: new Date().toISOString() };
      this.backend.write(this.name, Buffer.from(JSON.stringify(this.record))).catch(() => undefined);
    }, REFRESH_MS);
    this.timer.unref();
  }
}

interface NamedLock {
  name: string;
  record: LockRecord;
}

async function liveLocks(backend: Backend): Promise<NamedLock[]> {
  const out: NamedLock[] = [];
  for (const name of await backend.list('locks')) {
    let record: LockRecord;
    try {
      record = JSON.parse((await backend.read(name)).toString('utf8')) as LockRecord;
    } catch {
      continue; // deleted meanwhile, or unreadable: not a lock anyone holds
    }
    if (!isStale(record)) out.push({ name, record });
  }
  return out;
}

function isStale(record: LockRecord): boolean {
  if (Date.now() - Date.parse(record.refreshedAt) > STALE_MS) return true;
  if (record.host === hostname() && record.pid !== process.pid && !pidAlive(record.pid)) return true;
  return false;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Deletes stale lock objects (prune calls this while it holds the exclusive lock). */
export async function removeStaleLocks(backend: Backend): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await backend.list('locks')) {
    try {
      const record = JSON.parse((await backend.read(name)).toString('utf8')) as LockRecord;
      if (!isStale(record)) continue;
    } catch {
      // unreadable lock: remove
    }
    await backend.delete(name);
    removed.push(name);
  }
  return removed;
}
