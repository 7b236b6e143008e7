/** The timer functions the queue uses; tests pass a fake clock. */
export interface QueueTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WorkQueueOptions {
  /** Keys processed at the same time, at most (distinct keys: one key is never processed twice at once). */
  concurrency?: number;
  /** Delay before the first retry of a key that failed; it doubles with each further failure… */
  baseDelayMs?: number;
  /** …up to this. */
  maxDelayMs?: number;
  /** Told of each failure, with the delay before its retry (the owner logs it). */
  onError?: (key: string, error: unknown, failures: number, retryInMs: number) => void;
  timers?: QueueTimers;
}

const realTimers: QueueTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Work keyed by object id, in the spirit of client-go's workqueue. A key stands for "look at this
 * object again", not for one piece of work, so:
 * - a key added while it waits is queued once;
 * - a key is never processed twice at once: added while it is processed, it is processed once more
 *   after (its handler then sees the newest state);
 * - a handler that throws has its key retried after an exponential back-off (per key; reset when the
 *   key is next processed without error, or by `forget`);
 * - at most `concurrency` keys are processed at a time, in the order they were added.
 * Adding a key that waits out a back-off processes it at once (something changed: worth a look).
 */
export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly processing = new Map<string, Promise<void>>();
  /** Keys added again while being processed. */
  private readonly dirty = new Set<string>();
  private readonly delayed = new Map<string, { at: number; handle: unknown }>();
  private readonly failureCounts = new Map<string, number>();
  private readonly idleWaiters = new Set<() => void>();
  private shuttingDown = false;
  private pumpScheduled = false;
  /** Keys processed, and how many of those runs failed, since the queue was made. */
  readonly counts = { processed: 0, failed: 0 };
  private readonly concurrency: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timers: QueueTimers;

  constructor(
    private readonly handler: (key: string) => Promise<void>,
    private readonly options: WorkQueueOptions = {},
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.baseDelayMs = options.baseDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
    this.timers = options.timers ?? realTimers;
  }

  /** Asks for `key` to be processed (once, however often it is added before it is). */
  add(key: string): void {
    if (this.shuttingDown) return;
    this.cancelDelayed(key);
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.schedulePump();
  }

  /** Adds `key` after `ms` (sooner if it is added meanwhile); the earlier of two delays wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown || this.queued.has(key)) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.timers.now() + ms;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    this.cancelDelayed(key);
    const handle = this.timers.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, handle });
  }

  /** Resets the key's back-off: its next failure is retried after the base delay again. */
  forget(key: string): void {
    this.failureCounts.delete(key);
  }

  /** Failures of `key` since it last succeeded (or was forgotten). */
  failures(key: string): number {
    return this.failureCounts.get(key) ?? 0;
  }

  /** The delay before the retry that follows the `failures`-th failure in a row. */
  backoffMs(failures: number): number {
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.max(0, failures - 1));
  }

  /** Keys waiting, being processed or waiting out a back-off. */
  get size(): { queued: number; processing: number; delayed: number } {
    return { queued: this.queued.size, processing: this.processing.size, delayed: this.delayed.size };
  }

  /**
   * Resolves once no key is queued or processed (keys waiting out a back-off do not count): tests
   * and callers that must see a change's consequences wait for this instead of sleeping.
   */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.add(resolve));
  }

  /** Stops taking work (queued and delayed keys are dropped) and resolves when the keys being processed are done. */
  async shutDown(): Promise<void> {
    this.shuttingDown = true;
    this.queued.clear();
    this.dirty.clear();
    for (const key of [...this.delayed.keys()]) this.cancelDelayed(key);
    while (this.processing.size > 0) await Promise.all([...this.processing.values()]);
    this.wakeIdle();
  }

  private isIdle(): boolean {
    return this.queued.size === 0 && this.processing.size === 0;
  }

  private wakeIdle(): void {
    if (!this.isIdle()) return;
    for (const wake of [...this.idleWaiters]) wake();
    this.idleWaiters.clear();
  }

  private cancelDelayed(key: string): void {
    const pending = this.delayed.get(key);
    if (!pending) return;
    this.timers.clearTimeout(pending.handle);
    this.delayed.delete(key);
  }

  /** Work starts on a later microtask: `add` is called from store watchers, mid-commit, and must not re-enter the store. */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (!this.shuttingDown && this.processing.size < this.concurrency && this.queued.size > 0) {
      const key: string = this.queued.values().next().value as string;
      this.queued.delete(key);
      // Registered before the handler runs (on the next microtask), so even a synchronous throw finds it.
      this.processing.set(
        key,
        Promise.resolve().then(() => this.run(key)),
      );
    }
    this.wakeIdle();
  }

  private async run(key: string): Promise<void> {
    let failed = false;
    try {
      await this.handler(key);
    } catch (error) {
      failed = true;
      const failures = this.failures(key) + 1;
      this.failureCounts.set(key, failures);
      const delay = this.backoffMs(failures);
      try {
        this.options.onError?.(key, error, failures, delay);
      } catch {
        // a failing error reporter must not stall the queue
      }
      if (!this.shuttingDown) this.addAfter(key, delay);
    } finally {
      this.counts.processed++;
      if (failed) this.counts.failed++;
      this.processing.delete(key);
      if (!failed) this.forget(key);
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
    }
  }
}
