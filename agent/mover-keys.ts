/**
 * The data-mover directories (`<state dir>/mover/<key>`) in use in this agent process. Two calls on one
 * key would share one mount: the first to finish unmounts it under the other, whose remaining writes
 * then land on the node's own disk while it still reports success. So a key is held by one call at a
 * time — or by the start-up cleanup of what a killed agent left there — and a second caller is told to
 * come back later.
 */
export class MoverKeys {
  private readonly held = new Set<string>();

  /** Takes `key`; false when a call or the cleanup holds it. */
  claim(key: string): boolean {
    if (this.held.has(key)) return false;
    this.held.add(key);
    return true;
  }

  release(key: string): void {
    this.held.delete(key);
  }
}

/** One registry per agent process: every data-mover call and the start-up cleanup go through it. */
export const moverKeys = new MoverKeys();
