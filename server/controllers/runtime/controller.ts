import type { Logger } from 'pino';
import type { ClusterStore, RecordKind, StoreChange } from '../../store/cluster-store';
import { WorkQueue, type WorkQueueOptions } from './work-queue';

export interface ControllerOptions {
  /** Names the controller in logs. */
  name: string;
  store: ClusterStore;
  log: Logger;
  /** The record kinds whose changes concern it: only these reach `keysOf`. */
  kinds: readonly RecordKind[];
  /** The keys a committed change asks to look at again (none, one or several). */
  keysOf: (change: StoreChange) => Iterable<string>;
  /**
   * Brings the object `key` one step towards what its record asks for, reading the store afresh (it
   * may run long after the change that queued it). Throwing retries the key after a back-off; progress
   * that must survive a restart is written to the object's record, never kept here. `signal` is
   * aborted when the controller stops: long work (a data mover, a hook) gives up, leaving the record
   * as it is, and the next start's sync of that key carries on from the record.
   */
  sync: (key: string, signal: AbortSignal) => Promise<void>;
  queue?: Omit<WorkQueueOptions, 'onError'>;
  /** Where the server finds its controllers' figures (GET /v1/metrics). */
  registry?: ControllerRegistry;
}

/** What a controller has done and has waiting: enough to see that its work follows change. */
export interface ControllerStats {
  synced: number;
  failed: number;
  queued: number;
  processing: number;
  delayed: number;
}

/** The controllers of one server, by name (a field of its ClusterContext, never module state). */
export class ControllerRegistry {
  private readonly controllers = new Map<string, Controller>();

  add(name: string, controller: Controller): void {
    this.controllers.set(name, controller);
  }

  stats(): Record<string, ControllerStats> {
    return Object.fromEntries([...this.controllers].map(([name, c]) => [name, c.stats]));
  }
}

/**
 * One controller: the store's change feed mapped to keys, a work queue, and `sync` per key. Starting
 * presents every existing object of its kinds to `keysOf` as if it had just been created, so a
 * restarted server resumes everything by the same path as normal work (no separate resume step).
 */
export class Controller {
  private readonly queue: WorkQueue;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;
  private readonly stopping = new AbortController();

  constructor(private readonly options: ControllerOptions) {
    const log = options.log.child({ controller: options.name });
    this.queue = new WorkQueue((key) => options.sync(key, this.stopping.signal), {
      ...options.queue,
      onError: (key, err, failures, retryInMs) => log.warn({ key, err, failures, retryInMs }, 'sync failed; retrying after a back-off'),
    });
    options.registry?.add(options.name, this);
  }

  get stats(): ControllerStats {
    return { synced: this.queue.counts.processed, failed: this.queue.counts.failed, ...this.queue.size };
  }

  /** Watches the store and queues every existing object of its kinds. */
  start(): void {
    if (this.unsubscribe || this.stopped) return;
    const kinds = new Set(this.options.kinds);
    this.unsubscribe = this.options.store.watch((changes) => {
      for (const change of changes) if (kinds.has(change.kind)) this.enqueueAll(change);
    });
    for (const kind of kinds) for (const change of existingAsCreated(this.options.store, kind)) this.enqueueAll(change);
  }

  /** Queues `key` directly (a trigger the store does not see: a timer, a call from outside). */
  enqueue(key: string): void {
    if (!this.stopped) this.queue.add(key);
  }

  /** Queues `key` after `ms` (sooner if a change queues it meanwhile): an object waiting for time to pass, not for a change. */
  enqueueAfter(key: string, ms: number): void {
    if (!this.stopped) this.queue.addAfter(key, ms);
  }

  /** Resolves once nothing is queued or being synced. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /**
   * Which attempt the sync of `key` under way is (1 after a success), and how long the queue waits
   * before the next if this one throws: a sync about to give up on a transient failure can say so in
   * its object's record.
   */
  retryOf(key: string): { attempt: number; delayMs: number } {
    const attempt = this.queue.failures(key) + 1;
    return { attempt, delayMs: this.queue.backoffMs(attempt) };
  }

  /** True once stop() was called: no new work is taken. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Aborted by stop(): what waits for this controller to settle an object gives up then. */
  get stopSignal(): AbortSignal {
    return this.stopping.signal;
  }

  /**
   * Stops watching and taking work, aborts the syncs under way and resolves when they have finished,
   * or after `graceMs` (a sync that ignores its signal must not hold up a server's shutdown for ever).
   */
  async stop(graceMs = Number.POSITIVE_INFINITY): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.stopping.abort();
    const drained = this.queue.shutDown();
    if (!Number.isFinite(graceMs)) return drained;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([drained, grace]);
    clearTimeout(timer);
  }

  private enqueueAll(change: StoreChange): void {
    try {
      for (const key of this.options.keysOf(change)) this.queue.add(key);
    } catch (err) {
      this.options.log.error({ controller: this.options.name, err, change: { kind: change.kind, id: change.id } }, 'mapping a change to keys failed');
    }
  }
}

/** Every record of `kind`, as the change that would have created it. */
export function existingAsCreated(store: ClusterStore, kind: RecordKind): StoreChange[] {
  const revision = store.revision;
  switch (kind) {
    case 'app':
      return store.apps.list().map((after) => ({ kind, id: after.name, revision, after }));
    case 'storageclass':
      return store.storageClasses.list().map((after) => ({ kind, id: after.name, revision, after }));
    case 'plugin':
      return store.plugins.list().map((after) => ({ kind, id: after.name, revision, after }));
    case 'secret':
      return store.secrets.list().map((after) => ({ kind, id: after.name, revision, after }));
    case 'task':
      return store.tasks.list().map((after) => ({ kind, id: after.id, revision, after }));
    case 'claim':
      return store.claims.list().map((after) => ({ kind, id: after.id, revision, after }));
    case 'volume':
      return store.volumes.list().map((after) => ({ kind, id: after.id, revision, after }));
    case 'node':
      return store.nodes.list().map((after) => ({ kind, id: after.id, revision, after }));
    case 'recoverypoint':
      return store.recoveryPoints.list().map((after) => ({ kind, id: after.id, revision, after }));
    case 'repository':
      return store.repositories.list().map((after) => ({ kind, id: after.name, revision, after }));
    case 'backup':
      return store.backups.list().map((after) => ({ kind, id: after.id, revision, after }));
    case 'restore':
      return store.restores.list().map((after) => ({ kind, id: after.id, revision, after }));
    case 'schedule':
      return store.schedules.list().map((after) => ({ kind, id: after.name, revision, after }));
  }
}
