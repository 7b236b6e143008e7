/**
 * In-memory LedgerStore: the embedded default for tests and benchmarks, and the reference
 * behaviour a persistent store must match.
 *
 * Why it cannot overcommit under concurrency: a transaction callback is synchronous and runs to
 * completion before any other JS runs (one thread, no await inside), so no other reserve can read
 * or change usage between the ledger's capacity check and its write. Concurrent callers only
 * interleave *between* transactions — which the optional `beforeTransaction` hook exaggerates in
 * tests to prove that interleaving is harmless.
 */
import { addAmounts, emptyTotals, LedgerInvariantError, nodeLedgerState } from '../domain';
import type { LedgerSnapshot, NodeCapacity, NodeLedgerState, Reservation } from '../domain';
import type { LedgerStore, LedgerTx } from './ledger-store';
import { SnapshotView } from './snapshot-view';

export interface InMemoryLedgerStoreOptions {
  /** Awaited before each transaction and snapshot: lets tests inject latency to interleave callers. */
  readonly beforeTransaction?: () => Promise<void>;
}

export class InMemoryLedgerStore implements LedgerStore {
  /** Node states are immutable records: a snapshot can share them without copying their contents. */
  private readonly nodes = new NodeTable();
  private readonly byHolder = new Map<string, Reservation>();

  constructor(private readonly options: InMemoryLedgerStoreOptions = {}) {}

  async transaction<T>(fn: (tx: LedgerTx) => T): Promise<T> {
    if (this.options.beforeTransaction) await this.options.beforeTransaction();
    // From here to the end of this function nothing awaits: this is the critical section.
    const tx = new MemoryTx(this.nodes, this.byHolder);
    try {
      const result = fn(tx);
      if (isThenable(result)) throw new LedgerInvariantError('transaction callbacks must be synchronous (no await inside)');
      return result;
    } catch (error) {
      tx.rollback();
      throw error;
    }
  }

  async snapshot(): Promise<LedgerSnapshot> {
    if (this.options.beforeTransaction) await this.options.beforeTransaction();
    return { nodes: this.nodes.snapshot() };
  }

  async reservationsOf(holderIds: readonly string[]): Promise<ReadonlyMap<string, Reservation>> {
    const found = new Map<string, Reservation>();
    for (const id of holderIds) {
      const r = this.byHolder.get(id);
      if (r) found.set(id, r);
    }
    return found;
  }
}

/** Writes go straight to the maps; an undo log restores them if the callback throws. */
class MemoryTx implements LedgerTx {
  private readonly undo: Array<() => void> = [];

  constructor(
    private readonly nodes: NodeTable,
    private readonly byHolder: Map<string, Reservation>,
  ) {}

  nodeState(nodeId: string): NodeLedgerState | undefined {
    return this.nodes.get(nodeId);
  }

  setNodeCapacity(nodeId: string, capacity: NodeCapacity): void {
    const previous = this.nodes.get(nodeId);
    this.replaceNode(nodeId, nodeLedgerState(nodeId, capacity, previous?.used ?? emptyTotals()));
  }

  reservation(holderId: string): Reservation | undefined {
    return this.byHolder.get(holderId);
  }

  insertReservation(reservation: Reservation): void {
    if (this.byHolder.has(reservation.holderId)) {
      throw new LedgerInvariantError(`holder ${reservation.holderId} already has a reservation`, { holderId: reservation.holderId });
    }
    const node = this.nodes.get(reservation.nodeId);
    if (!node) throw new LedgerInvariantError(`node ${reservation.nodeId} is unknown`, { nodeId: reservation.nodeId });
    this.byHolder.set(reservation.holderId, reservation);
    this.undo.push(() => this.byHolder.delete(reservation.holderId));
    this.replaceNode(node.nodeId, nodeLedgerState(node.nodeId, node.capacity, addAmounts(node.used, reservation.amounts, 1)));
  }

  deleteReservation(holderId: string): Reservation | undefined {
    const existing = this.byHolder.get(holderId);
    if (!existing) return undefined;
    this.byHolder.delete(holderId);
    this.undo.push(() => this.byHolder.set(holderId, existing));
    const node = this.nodes.get(existing.nodeId);
    if (node) this.replaceNode(node.nodeId, nodeLedgerState(node.nodeId, node.capacity, addAmounts(node.used, existing.amounts, -1)));
    return existing;
  }

  reservations(): Iterable<Reservation> {
    return this.byHolder.values();
  }

  rollback(): void {
    for (let i = this.undo.length - 1; i >= 0; i--) this.undo[i]!();
  }

  private replaceNode(nodeId: string, next: NodeLedgerState): void {
    this.undo.push(this.nodes.set(nodeId, next));
  }
}

/**
 * Node states in an array (cheap to snapshot) with an id → slot index. The index is copied on
 * write only while a snapshot shares it, so registering 5,000 nodes stays linear.
 */
class NodeTable {
  private slots = new Map<string, number>();
  private slotsShared = false;
  private readonly states: NodeLedgerState[] = [];

  get(nodeId: string): NodeLedgerState | undefined {
    const slot = this.slots.get(nodeId);
    return slot === undefined ? undefined : this.states[slot];
  }

  /** Stores `state` and returns the function that undoes it. */
  set(nodeId: string, state: NodeLedgerState): () => void {
    const slot = this.slots.get(nodeId);
    if (slot !== undefined) {
      const previous = this.states[slot]!;
      this.states[slot] = state;
      return () => {
        this.states[slot] = previous;
      };
    }
    if (this.slotsShared) {
      this.slots = new Map(this.slots);
      this.slotsShared = false;
    }
    const slots = this.slots;
    slots.set(nodeId, this.states.length);
    this.states.push(state);
    return () => {
      this.states.pop();
      if (this.slots === slots && !this.slotsShared) slots.delete(nodeId);
      else {
        this.slots = new Map(this.slots);
        this.slots.delete(nodeId);
        this.slotsShared = false;
      }
    };
  }

  snapshot(): SnapshotView {
    this.slotsShared = true;
    return new SnapshotView(this.slots, this.states.slice());
  }
}

function isThenable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
