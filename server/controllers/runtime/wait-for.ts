import type { ClusterStore } from '../../store/cluster-store';

/**
 * Resolves with what `settled` answers once it answers something (not undefined), asking it now and
 * again after every committed change of the store: a caller that handed an object to its controller
 * (by writing an intent) waits here for the controller to bring the record where it wants it.
 * Rejects with `abort()`'s error when `signal` aborts (the controller stopped: nobody will settle it).
 */
export function waitForStore<T>(store: ClusterStore, settled: () => T | undefined, signal: AbortSignal, abort: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let unsubscribe: (() => void) | undefined;
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      unsubscribe?.();
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => finish(() => reject(abort()));
    const check = () => {
      if (done) return;
      try {
        const value = settled();
        if (value !== undefined) finish(() => resolve(value));
      } catch (error) {
        finish(() => reject(error));
      }
    };
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    unsubscribe = store.watch(check);
    check();
  });
}
