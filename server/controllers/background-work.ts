/**
 * Slow steps of the control loop (CSI calls with long deadlines: CreateVolume, DeleteVolume,
 * ControllerPublish) run here, one per key at a time, instead of inside the reconcile pass: a plugin
 * that hangs until its deadline then delays only its own objects, never placement, node liveness or
 * other apps. Level-triggered as before: a step that failed is simply started again by a later pass.
 */
export class BackgroundWork {
  private readonly running = new Map<string, Promise<void>>();

  /** `onSettled` runs after each step (the server wakes agents waiting for their desired state). */
  constructor(private readonly onSettled: () => void = () => undefined) {}

  /** Starts `step` under `key` unless a step with that key is still running. */
  start(key: string, step: () => Promise<void>): void {
    if (this.running.has(key)) return;
    const done = step()
      .catch(() => undefined) // steps record their own failures; a rejection here must not go unhandled
      .finally(() => {
        this.running.delete(key);
        this.onSettled();
      });
    this.running.set(key, done);
  }

  isRunning(key: string): boolean {
    return this.running.has(key);
  }

  /** Waits for every step under way (server shutdown: nothing may touch the store after it closes). */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }
}
