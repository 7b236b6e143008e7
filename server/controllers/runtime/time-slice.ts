/**
 * Cooperative time slicing for long passes: a loop over many objects calls `due()` between them and,
 * when it has held the event loop for SLICE_MS, writes what it has decided so far and awaits `yield()`,
 * which lets I/O (API requests, agent syncs, health checks) run before the loop carries on. No single
 * object, however large, then keeps the server from answering for longer than about one slice.
 */

/** How long a pass may hold the event loop before it lets others run. */
export const SLICE_MS = 10;

export class TimeSlice {
  private startedAt = performance.now();

  constructor(private readonly sliceMs = SLICE_MS) {}

  /** The slice is used up: the caller should write what it has and `yield()`. */
  due(): boolean {
    return performance.now() - this.startedAt >= this.sliceMs;
  }

  /** Lets timers and I/O run (setImmediate runs after the poll phase), then starts a new slice. */
  async yield(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.startedAt = performance.now();
  }
}
