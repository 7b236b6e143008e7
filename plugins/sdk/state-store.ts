import { readStateFile, VersionedDocument, writeStateFile } from './state-file';

/**
 * `creating` and `deleting` are intents, written before the storage is touched, so a crash in the
 * middle of an operation leaves a record saying what to finish or undo on the next start.
 */
export type RecordStatus = 'creating' | 'ready' | 'deleting';

type Document = VersionedDocument & Record<string, unknown>;

/**
 * A plugin's durable records: tables of records kept in memory, keyed as the plugin looks them up, and
 * saved as one versioned JSON document replaced atomically on every change (state-file.ts). A plugin
 * declares its tables as fields, in document order:
 *
 *   class MyState extends StateStore {
 *     readonly volumes = this.table<VolumeRecord>('volumes', (v) => v.id);
 *     constructor(dir: string) { super(join(dir, 'state.json')); }
 *   }
 */
export abstract class StateStore {
  private readonly tables: { name: string; records: Map<string, unknown> }[] = [];
  private readonly loaded: Document | undefined;

  protected constructor(private readonly file: string) {
    this.loaded = readStateFile<Document>(file);
  }

  /** Declares a table and fills it from the document on disk (empty when there is none yet). */
  protected table<T>(name: string, key: (record: T) => string): Map<string, T> {
    const records = new Map<string, T>();
    const stored = this.loaded?.[name];
    // The document is this plugin's own, written by save(): its rows have the declared shape.
    if (Array.isArray(stored)) for (const record of stored as T[]) records.set(key(record), record);
    this.tables.push({ name, records });
    return records;
  }

  /** A value of the document that is not a table (e.g. a counter), as last saved. */
  protected loadedValue<T>(name: string): T | undefined {
    return this.loaded?.[name] as T | undefined;
  }

  /** Values saved beside the tables; a store with counters overrides this. */
  protected values(): Record<string, unknown> {
    return {};
  }

  save(): void {
    const document: Document = { version: 1, ...this.values() };
    for (const { name, records } of this.tables) document[name] = [...records.values()];
    writeStateFile(this.file, document);
  }
}

/** The record of this name: names are what a CO retries with, ids what the plugin minted. */
export function findByName<T extends { name: string }>(records: Map<string, T>, name: string): T | undefined {
  for (const r of records.values()) if (r.name === name) return r;
  return undefined;
}

/** The records (stages, publications) that belong to one volume. */
export function recordsOfVolume<T extends { volumeId: string }>(records: Map<string, T>, volumeId: string): T[] {
  return [...records.values()].filter((r) => r.volumeId === volumeId);
}
