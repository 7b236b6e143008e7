/**
 * Runs operations on one task id one after another (different ids run in parallel). Within one agent
 * this keeps two concurrent start() calls from both creating the task; across processes the runtime
 * itself must arbitrate (docker: unique container names).
 */
export class TaskQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(taskId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(taskId) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(taskId, tail);
    void tail.then(() => {
      if (this.tails.get(taskId) === tail) this.tails.delete(taskId);
    });
    return next;
  }
}
