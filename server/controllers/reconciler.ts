import type { ClusterContext } from '../cluster-context';
import type { StoreChange } from '../store/cluster-store';
import { appsController } from './apps';
import { reclaimController, releasedVolumeController, taskRemovalController } from './cleanup';
import { checkNodes, releaseOrphans } from './nodes';
import { placePending } from './placement';
import { provisionPlaced } from './provisioning';
import { immediateBindingController } from './immediate-binding';
import type { Controller } from './runtime/controller';

/** Passes with nothing new to look at still run this often: time alone moves some objects on (retries, back-offs). */
const RESYNC_EVERY_MS = 5_000;

/**
 * The control loop: the per-object controllers of apps, immediate binding, task removal, reclaim and
 * released volumes (each a work queue fed by the store's change feed), and the pass for node liveness,
 * placement and provisioning. Placement stays a pass because the scheduler places every pending task
 * of a round together, in one ledger transaction (batching is what makes it fast). A pass compares
 * desired and actual state from the store and moves every object one step, so it can be interrupted
 * anywhere (crash, restart) and the next pass carries on. Passes never overlap; `kick()` asks for one
 * at once (after an API change, or when a task becomes pending).
 *
 * Cost follows change: a tick (every `intervalMs`) runs a pass only when the store changed or a slow
 * step settled since the last one, or a resync is due; otherwise it only checks node liveness, in memory.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** Something changed since the last pass started. */
  private dirty = true;
  private lastPassMs = 0;
  private readonly unsubscribe: (() => void)[];
  /** The per-object controllers, started with the loop. */
  private readonly controllers: Controller[];
  /** Passes run and how long they took, for the metrics endpoint. */
  readonly stats = { passes: 0, skippedTicks: 0, lastPassMs: 0, totalPassMs: 0 };

  constructor(
    private readonly ctx: ClusterContext,
    private readonly intervalMs = 500,
  ) {
    const markDirty = () => {
      this.dirty = true;
    };
    const onChanges = (changes: readonly StoreChange[]) => {
      this.dirty = true;
      // New work for placement (an app created or scaled up, a task rolled or revived): at once, not at the next tick.
      if (changes.some(becamePending)) setImmediate(() => this.kick());
    };
    this.unsubscribe = [ctx.store.watch(onChanges), ctx.onChanged(markDirty)];
    this.controllers = [
      appsController(ctx),
      immediateBindingController(ctx),
      taskRemovalController(ctx),
      reclaimController(ctx),
      releasedVolumeController(ctx),
    ];
    for (const c of this.controllers) c.start();
  }

  /** Resolves once no controller has work queued or under way (tests). */
  async idle(): Promise<void> {
    await Promise.all(this.controllers.map((c) => c.idle()));
  }

  async pass(): Promise<void> {
    const ctx = this.ctx;
    this.dirty = false;
    this.lastPassMs = Date.now();
    checkNodes(ctx);
    await placePending(ctx);
    await provisionPlaced(ctx);
    if (++this.stats.passes % 20 === 0) await releaseOrphans(ctx);
    const took = Date.now() - this.lastPassMs;
    this.stats.lastPassMs = took;
    this.stats.totalPassMs += took;
  }

  /** A timer tick: a pass when there is something to look at, else only node liveness. */
  private tick(): void {
    if (this.dirty || Date.now() - this.lastPassMs >= RESYNC_EVERY_MS) {
      this.kick();
      return;
    }
    this.stats.skippedTicks++;
    try {
      checkNodes(this.ctx);
    } catch (err) {
      this.ctx.log.error({ err }, 'node liveness check failed');
    }
    this.timer = setTimeout(() => this.tick(), this.intervalMs);
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.running = this.pass()
      .catch((err: unknown) => this.ctx.log.error({ err }, 'reconcile pass failed'))
      .finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          setImmediate(() => this.kick());
          return;
        }
        this.timer = setTimeout(() => this.tick(), this.intervalMs);
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    await Promise.all(this.controllers.map((c) => c.stop(10_000)));
    await this.running;
    await this.ctx.background.settle();
  }
}

function becamePending(change: StoreChange): boolean {
  return change.kind === 'task' && change.after?.state === 'pending' && change.before?.state !== 'pending';
}
