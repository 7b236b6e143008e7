/** The event log: append-only (a trigger forbids updates), numbered, queryable per object. */
import type Database from 'better-sqlite3';
import type { EventRecord, NewEvent } from '../records';
import type { EventQuery, EventRepository } from '../store';
import type { TxState } from './tx-state';

const DEFAULT_LIMIT = 100;

interface EventRow {
  seq: number;
  object_kind: string;
  object_id: string;
  time: number;
  type: string;
  reason: string;
  message: string;
}

export class SqliteEvents implements EventRepository {
  private readonly insert: Database.Statement<[string, string, number, string, string, string]>;
  private readonly byObject: Database.Statement<[string, string, number, number], EventRow>;
  private readonly all: Database.Statement<[number, number], EventRow>;
  private readonly prune: Database.Statement<[number]>;

  constructor(
    db: Database.Database,
    private readonly tx: TxState,
    private readonly now: () => number,
  ) {
    this.insert = db.prepare('INSERT INTO events (object_kind, object_id, time, type, reason, message) VALUES (?, ?, ?, ?, ?, ?)');
    // Newest `limit` first, then reversed: "the last 100 events" in chronological order.
    this.byObject = db.prepare(
      'SELECT * FROM (SELECT * FROM events WHERE object_kind = ? AND object_id = ? AND seq > ? ORDER BY seq DESC LIMIT ?) ORDER BY seq',
    );
    this.all = db.prepare('SELECT * FROM (SELECT * FROM events WHERE seq > ? ORDER BY seq DESC LIMIT ?) ORDER BY seq');
    this.prune = db.prepare('DELETE FROM events WHERE time < ?');
  }

  append(event: NewEvent): EventRecord {
    this.tx.assertWritable();
    const time = event.time ?? this.now();
    const result = this.insert.run(event.objectKind, event.objectId, time, event.type, event.reason, event.message);
    return { seq: Number(result.lastInsertRowid), objectKind: event.objectKind, objectId: event.objectId, time, type: event.type, reason: event.reason, message: event.message };
  }

  forObject(objectKind: string, objectId: string, query: EventQuery = {}): EventRecord[] {
    this.tx.assertOpen();
    return this.byObject.all(objectKind, objectId, query.afterSeq ?? 0, query.limit ?? DEFAULT_LIMIT).map(toEvent);
  }

  recent(query: EventQuery = {}): EventRecord[] {
    this.tx.assertOpen();
    return this.all.all(query.afterSeq ?? 0, query.limit ?? DEFAULT_LIMIT).map(toEvent);
  }

  pruneBefore(before: number): number {
    this.tx.assertWritable();
    return this.prune.run(before).changes;
  }
}

function toEvent(row: EventRow): EventRecord {
  return {
    seq: row.seq,
    objectKind: row.object_kind,
    objectId: row.object_id,
    time: row.time,
    type: row.type as EventRecord['type'],
    reason: row.reason,
    message: row.message,
  };
}
