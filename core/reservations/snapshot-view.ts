/**
 * A read-only Map over an array of node states. Taking a snapshot copies an array of references
 * (microseconds for 5,000 nodes) instead of rebuilding a Map (a millisecond): node states are
 * immutable records, so sharing them is safe. The id → slot index is replaced, never mutated,
 * when a node is added, so older snapshots keep a consistent index.
 */
import type { NodeLedgerState } from '../domain';

export class SnapshotView implements ReadonlyMap<string, NodeLedgerState> {
  constructor(
    private readonly slots: ReadonlyMap<string, number>,
    private readonly states: readonly NodeLedgerState[],
  ) {}

  get size(): number {
    return this.states.length;
  }

  get(nodeId: string): NodeLedgerState | undefined {
    const slot = this.slots.get(nodeId);
    return slot === undefined ? undefined : this.states[slot];
  }

  has(nodeId: string): boolean {
    return this.slots.has(nodeId);
  }

  forEach(callback: (value: NodeLedgerState, key: string, map: ReadonlyMap<string, NodeLedgerState>) => void): void {
    for (const [key, value] of this.entries()) callback(value, key, this);
  }

  *entries(): MapIterator<[string, NodeLedgerState]> {
    for (const state of this.states) yield [state.nodeId, state];
  }

  *keys(): MapIterator<string> {
    for (const state of this.states) yield state.nodeId;
  }

  *values(): MapIterator<NodeLedgerState> {
    yield* this.states;
  }

  [Symbol.iterator](): MapIterator<[string, NodeLedgerState]> {
    return this.entries();
  }
}
