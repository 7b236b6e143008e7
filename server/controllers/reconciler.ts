import type { ClusterContext } from '../cluster-context';
import { reconcileApps } from './apps';
import { cleanUp } from './cleanup';
import { DataRestorer } from './data-restore';
import { checkNodes, releaseOrphans } from './nodes';
import { placePending } from './placement';
import { provisionPlaced } from './provisioning';
import { bindImmediateClaims } from './immediate-binding';

/**
 * The control loop. Level-triggered: each pass compares desired and actual state from the store and
 * moves every object one step, so a pass can be interrupted anywhere (crash, restart) and the next pass
 * carries on. Passes never overlap; `kick()` asks for one soon (after an API change).
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private passes = 0;
  private stopped = false;
  /** Fills volumes restored from a backup; its copies run in the background, outside the passes. */
  private readonly dataRestorer: DataRestorer;

  constructor(private readonly ctx: ClusterContext, private readonly intervalMs = 500) {
    this.dataRestorer = new DataRestorer(ctx, () => this.kick());
  }

  async pass(): Promise<void> {
    const ctx = this.ctx;
    checkNodes(ctx);
    reconcileApps(ctx);
    bindImmediateClaims(ctx);
    await placePending(ctx);
    await provisionPlaced(ctx);
    this.dataRestorer.reconcile();
    await cleanUp(ctx);
    if (++this.passes % 20 === 0) await releaseOrphans(ctx);
    ctx.changed();
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) { this.again = true; return; }
    if (this.timer) clearTimeout(this.timer);
    this.running = this.pass()
      .catch((err: unknown) => this.ctx.log.error({ err }, 'reconcile pass failed'))
      .finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        if (this.again) { this.again = false; setImmediate(() => this.kick()); return; }
        this.timer = setTimeout(() => this.kick(), this.intervalMs);
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.dataRestorer.stop();
    await this.running;
    await this.ctx.background.settle();
  }
}
