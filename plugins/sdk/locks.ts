import { aborted } from './errors';

/**
 * Per-id operation locks. The CSI spec asks a plugin to answer ABORTED when an operation is already
 * pending for the same volume or snapshot, instead of queueing it: the CO retries with backoff, and a
 * queued duplicate would otherwise run against state the first call just changed.
 */
export class OperationLocks {
  private readonly held = new Map<string, string>();

  /** Runs `fn` while holding every key; throws ABORTED if any key is busy. Keys are taken all or none. */
  async withLocks<T>(keys: string[], operation: string, fn: () => Promise<T>): Promise<T> {
    const unique = [...new Set(keys.filter((k) => k !== ''))];
    for (const key of unique) {
      const other = this.held.get(key);
      if (other !== undefined) throw aborted(`an operation (${other}) is already in progress for ${key}`);
    }
    for (const key of unique) this.held.set(key, operation);
    try {
      return await fn();
    } finally {
      for (const key of unique) this.held.delete(key);
    }
  }

  isHeld(key: string): boolean {
    return this.held.has(key);
  }
}
