/**
 * LedgerTx over SQLite. Node usage (`ledger_nodes.used`) is an index of the reservation rows and
 * is rewritten by the same statements' transaction that inserts or deletes a reservation
 * (LedgerStore guarantee 3). Writes refuse to run outside a write transaction.
 */
import type Database from 'better-sqlite3';
import { addAmounts, emptyTotals, LedgerInvariantError, nodeLedgerState } from '../../domain';
import type { NodeCapacity, NodeLedgerState, NodeTotals, Reservation, ResourceAmounts } from '../../domain';
import type { LedgerTx } from '../../reservations';
import { CorruptRecordError } from '../errors';
import type { TxState } from './tx-state';

interface NodeRow {
  node_id: string;
  capacity: string;
  used: string;
}

interface ReservationRow {
  holder_id: string;
  node_id: string;
  kind: string;
  role: string | null;
  amounts: string;
}

/** Totals as stored: maps become plain objects. */
interface StoredTotals {
  cpuMillis: number;
  memoryBytes: number;
  poolBytes: Record<string, number>;
  attachSlots: Record<string, number>;
}

interface DecodedNode {
  readonly capacity: string;
  readonly used: string;
  readonly state: NodeLedgerState;
}

export class SqliteLedgerTx implements LedgerTx {
  private decoded = new Map<string, DecodedNode>();
  private readonly selectNode: Database.Statement<[string], NodeRow>;
  private readonly selectNodes: Database.Statement<[], NodeRow>;
  private readonly upsertCapacity: Database.Statement<[string, string, string]>;
  private readonly updateUsed: Database.Statement<[string, string]>;
  private readonly selectReservation: Database.Statement<[string], ReservationRow>;
  private readonly selectReservations: Database.Statement<[], ReservationRow>;
  private readonly selectReservationsOf: Database.Statement<[string], ReservationRow>;
  private readonly insertRow: Database.Statement<[string, string, string, string | null, string]>;
  private readonly deleteRow: Database.Statement<[string]>;

  constructor(
    db: Database.Database,
    private readonly tx: TxState,
  ) {
    this.selectNode = db.prepare('SELECT node_id, capacity, used FROM ledger_nodes WHERE node_id = ?');
    this.selectNodes = db.prepare('SELECT node_id, capacity, used FROM ledger_nodes ORDER BY node_id');
    this.upsertCapacity = db.prepare(
      'INSERT INTO ledger_nodes (node_id, capacity, used) VALUES (?, ?, ?) ON CONFLICT (node_id) DO UPDATE SET capacity = excluded.capacity',
    );
    this.updateUsed = db.prepare('UPDATE ledger_nodes SET used = ? WHERE node_id = ?');
    this.selectReservation = db.prepare('SELECT * FROM ledger_reservations WHERE holder_id = ?');
    this.selectReservations = db.prepare('SELECT * FROM ledger_reservations ORDER BY node_id, holder_id');
    this.selectReservationsOf = db.prepare('SELECT * FROM ledger_reservations WHERE holder_id IN (SELECT value FROM json_each(?))');
    this.insertRow = db.prepare('INSERT INTO ledger_reservations (holder_id, node_id, kind, role, amounts) VALUES (?, ?, ?, ?, ?)');
    this.deleteRow = db.prepare('DELETE FROM ledger_reservations WHERE holder_id = ?');
  }

  nodeState(nodeId: string): NodeLedgerState | undefined {
    this.tx.assertOpen();
    const row = this.selectNode.get(nodeId);
    return row ? toNodeState(row) : undefined;
  }

  /**
   * Every node's state, sorted by node id (for snapshots). Decoding 5,000 rows of JSON dominates a
   * snapshot, so decoded states are reused while a row's text is unchanged (states are immutable;
   * the text is the whole truth, so another process's writes are never missed).
   */
  allNodeStates(): NodeLedgerState[] {
    this.tx.assertOpen();
    const states: NodeLedgerState[] = [];
    const seen = new Map<string, DecodedNode>();
    for (const row of this.selectNodes.all()) {
      const cached = this.decoded.get(row.node_id);
      const entry = cached && cached.capacity === row.capacity && cached.used === row.used ? cached : { capacity: row.capacity, used: row.used, state: toNodeState(row) };
      seen.set(row.node_id, entry);
      states.push(entry.state);
    }
    this.decoded = seen; // forget removed nodes
    return states;
  }

  setNodeCapacity(nodeId: string, capacity: NodeCapacity): void {
    this.tx.assertWritable();
    // New nodes start with no usage; existing ones keep theirs (it may now exceed capacity).
    this.upsertCapacity.run(nodeId, encodeTotals(capacity), encodeTotals(emptyTotals()));
  }

  reservation(holderId: string): Reservation | undefined {
    this.tx.assertOpen();
    const row = this.selectReservation.get(holderId);
    return row ? toReservation(row) : undefined;
  }

  insertReservation(reservation: Reservation): void {
    this.tx.assertWritable();
    if (this.selectReservation.get(reservation.holderId)) {
      throw new LedgerInvariantError(`holder ${reservation.holderId} already has a reservation`, { holderId: reservation.holderId });
    }
    const node = this.nodeState(reservation.nodeId);
    if (!node) throw new LedgerInvariantError(`node ${reservation.nodeId} is unknown`, { nodeId: reservation.nodeId });
    this.insertRow.run(reservation.holderId, reservation.nodeId, reservation.kind, reservation.role ?? null, JSON.stringify(reservation.amounts));
    this.updateUsed.run(encodeTotals(addAmounts(node.used, reservation.amounts, 1)), reservation.nodeId);
  }

  deleteReservation(holderId: string): Reservation | undefined {
    this.tx.assertWritable();
    const existing = this.reservation(holderId);
    if (!existing) return undefined;
    this.deleteRow.run(holderId);
    const node = this.nodeState(existing.nodeId);
    if (node) this.updateUsed.run(encodeTotals(addAmounts(node.used, existing.amounts, -1)), existing.nodeId);
    return existing;
  }

  reservations(): Iterable<Reservation> {
    this.tx.assertOpen();
    return this.selectReservations.all().map(toReservation);
  }

  reservationsOf(holderIds: readonly string[]): Map<string, Reservation> {
    this.tx.assertOpen();
    const found = new Map<string, Reservation>();
    for (const row of this.selectReservationsOf.all(JSON.stringify(holderIds))) found.set(row.holder_id, toReservation(row));
    return found;
  }
}

function encodeTotals(totals: NodeTotals): string {
  const stored: StoredTotals = {
    cpuMillis: totals.cpuMillis,
    memoryBytes: totals.memoryBytes,
    poolBytes: Object.fromEntries(totals.poolBytes),
    attachSlots: Object.fromEntries(totals.attachSlots),
  };
  return JSON.stringify(stored);
}

function decodeTotals(json: string, nodeId: string): NodeTotals {
  try {
    const stored = JSON.parse(json) as StoredTotals;
    return {
      cpuMillis: stored.cpuMillis,
      memoryBytes: stored.memoryBytes,
      poolBytes: new Map(Object.entries(stored.poolBytes)),
      attachSlots: new Map(Object.entries(stored.attachSlots)),
    };
  } catch (error) {
    throw new CorruptRecordError('ledger_nodes', nodeId, (error as Error).message);
  }
}

function toNodeState(row: NodeRow): NodeLedgerState {
  return nodeLedgerState(row.node_id, decodeTotals(row.capacity, row.node_id), decodeTotals(row.used, row.node_id));
}

function toReservation(row: ReservationRow): Reservation {
  let amounts: ResourceAmounts;
  try {
    amounts = JSON.parse(row.amounts) as ResourceAmounts;
  } catch (error) {
    throw new CorruptRecordError('ledger_reservations', row.holder_id, (error as Error).message);
  }
  return {
    holderId: row.holder_id,
    kind: row.kind as Reservation['kind'],
    nodeId: row.node_id,
    amounts,
    ...(row.role !== null ? { role: row.role } : {}),
  };
}
