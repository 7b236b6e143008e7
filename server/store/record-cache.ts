/**
 * The committed records of one kind, in memory: the store's reads are served from here (no SQL, no JSON
 * parsing on the hot path), with secondary indexes so a controller asks for "the tasks of node n"
 * instead of scanning every task.
 */
export type IndexFunctions<T, I extends string> = { readonly [K in I]: (record: T) => string | undefined };

export interface CachedRecord<T> {
  readonly record: T;
  /** The record as stored: compared to skip writes that change nothing. */
  readonly json: string;
}

export class RecordCache<T, I extends string> {
  private readonly records = new Map<string, CachedRecord<T>>();
  private readonly indexes = new Map<I, Map<string, Set<string>>>();
  /** list()'s answer, kept until the next change of this kind. */
  private sorted: T[] | undefined;
  /** list()'s answer as one JSON array, kept until the next change of this kind. */
  private sortedJson: string | undefined;

  constructor(private readonly indexFunctions: IndexFunctions<T, I>) {
    for (const name of Object.keys(indexFunctions) as I[]) this.indexes.set(name, new Map());
  }

  get(id: string): CachedRecord<T> | undefined {
    return this.records.get(id);
  }

  ids(): IterableIterator<string> {
    return this.records.keys();
  }

  get size(): number {
    return this.records.size;
  }

  list(): readonly T[] {
    if (!this.sorted) this.sorted = [...this.records.keys()].sort(compareIds).map((id) => this.records.get(id)!.record);
    return this.sorted;
  }

  /**
   * Every record as one JSON array, ordered by id: joined from the stored JSON once per change of this
   * kind, so a list answered to the API costs no serialization while nothing changes.
   */
  listJson(): string {
    if (this.sortedJson === undefined)
      this.sortedJson = `[${[...this.records.keys()]
        .sort(compareIds)
        .map((id) => this.records.get(id)!.json)
        .join(',')}]`;
    return this.sortedJson;
  }

  /** Ids of the records whose index `name` has `value`. */
  idsWhere(name: I, value: string): ReadonlySet<string> {
    return this.indexes.get(name)?.get(value) ?? EMPTY;
  }

  indexValue(name: I, record: T): string | undefined {
    return this.indexFunctions[name](record);
  }

  /** Stores (or, with undefined, removes) one committed record and keeps the indexes in step. */
  set(id: string, entry: CachedRecord<T> | undefined): void {
    const old = this.records.get(id);
    if (old) this.unindex(id, old.record);
    if (entry) {
      this.records.set(id, entry);
      this.index(id, entry.record);
    } else {
      this.records.delete(id);
    }
    this.sorted = undefined;
    this.sortedJson = undefined;
  }

  private index(id: string, record: T): void {
    for (const [name, byValue] of this.indexes) {
      const value = this.indexFunctions[name](record);
      if (value === undefined) continue;
      const ids = byValue.get(value) ?? new Set<string>();
      byValue.set(value, ids);
      ids.add(id);
    }
  }

  private unindex(id: string, record: T): void {
    for (const [name, byValue] of this.indexes) {
      const value = this.indexFunctions[name](record);
      if (value === undefined) continue;
      const ids = byValue.get(value);
      ids?.delete(id);
      if (ids?.size === 0) byValue.delete(value);
    }
  }
}

const EMPTY: ReadonlySet<string> = new Set();

/** The order SQLite's `ORDER BY id` gave (binary, not locale), which callers have relied on. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Freezes a parsed record all the way down: a caller that assigns to a shared record fails loudly instead of changing the cache. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
