import type { ClusterStore, StoreChange } from '../store/cluster-store';

/**
 * What the controllers remember between passes that is not worth a record (it only keeps events from
 * repeating, or two overlapping calls from doing the same work). It belongs to one server — a field of
 * its ClusterContext — never to the module: two servers in one process (tests) must not share it.
 *
 * Entries are keyed by the id of the task, claim or volume they are about, and dropped when that
 * record is deleted (`follow`): a long-lived server must not keep one per object it ever saw.
 */
export class ControllerMemory {
  /** cleanup.ts: the last failure recorded per task, claim or released volume, so a retried step records each distinct failure once. */
  readonly lastFailure = new Map<string, string>();
  /** immediate-binding.ts: the last "waiting"/"failed" message per claim, recorded once per distinct message. */
  readonly lastWaiting = new Map<string, string>();
  /**
   * provisioning.ts: volumes whose agent-made creation is being recorded right now (two syncs of one agent
   * can overlap). Its holder removes each entry when done, so it needs no pruning.
   */
  readonly recordingAgentCreated = new Set<string>();

  /** Prunes the memory of records as `store` deletes them; returns the unsubscribe. */
  follow(store: Pick<ClusterStore, 'watch'>): () => void {
    return store.watch((changes) => {
      for (const change of changes) if (change.after === undefined) this.forget(change);
    });
  }

  /** Drops what is remembered about a deleted record (no scan: each map is keyed by the record's id). */
  private forget(deleted: StoreChange): void {
    if (deleted.kind === 'task' || deleted.kind === 'volume') this.lastFailure.delete(deleted.id);
    else if (deleted.kind === 'claim') {
      this.lastFailure.delete(deleted.id);
      this.lastWaiting.delete(deleted.id);
    }
  }
}
