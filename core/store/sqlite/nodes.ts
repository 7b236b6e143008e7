/**
 * Nodes as their agents report them. Registering a node, or a heartbeat carrying new pools,
 * also sets the node's capacity in the reservation ledger in the same transaction, so the
 * ledger can never lag behind what the node record says it has.
 */
import type Database from 'better-sqlite3';
import { nodeCapacity } from '../../domain';
import type { LedgerTx } from '../../reservations';
import { toNodeInfo } from '../records';
import type { NodeRecord, NodeState } from '../records';
import type { NodeRegistration, NodeRepository, WriteOptions } from '../store';
import { DocumentTable } from './document-table';
import type { TxState } from './tx-state';

export class SqliteNodes implements NodeRepository {
  private readonly table: DocumentTable<NodeRecord, { state?: NodeState }>;

  constructor(
    db: Database.Database,
    tx: TxState,
    private readonly now: () => number,
    private readonly ledger: LedgerTx,
  ) {
    this.table = new DocumentTable(db, { table: 'nodes', kind: 'node', keyOf: (n) => n.id, indexed: { state: 'state' } }, tx, now);
  }

  get(id: string): NodeRecord | undefined {
    return this.table.get(id);
  }

  require(id: string): NodeRecord {
    return this.table.require(id);
  }

  list(filter?: { state?: NodeState }): NodeRecord[] {
    return this.table.list(filter);
  }

  register(registration: NodeRegistration): NodeRecord {
    const current = this.table.get(registration.id);
    const fields = { ...registration, lastHeartbeat: this.now() };
    const record = current
      ? this.table.update(registration.id, { ...fields, state: current.state === 'draining' ? 'draining' : 'ready' })
      : this.table.create({ ...fields, state: 'ready' });
    this.ledger.setNodeCapacity(record.id, nodeCapacity(toNodeInfo(record)));
    return record;
  }

  heartbeat(id: string, report: Partial<Pick<NodeRecord, 'pools' | 'plugins'>> = {}): NodeRecord {
    const record = this.table.update(id, (current) => ({
      ...report,
      lastHeartbeat: this.now(),
      state: current.state === 'down' ? 'ready' : current.state,
    }));
    if (report.pools || report.plugins) this.ledger.setNodeCapacity(id, nodeCapacity(toNodeInfo(record)));
    return record;
  }

  setState(id: string, state: NodeState, options: WriteOptions = {}): NodeRecord {
    return this.table.update(id, { state }, options);
  }

  markMissing(before: number): NodeRecord[] {
    return this.table
      .list({ state: 'ready' })
      .filter((n) => n.lastHeartbeat < before)
      .map((n) => this.table.update(n.id, { state: 'down' }));
  }

  /** Removes the node record only; its ledger entry stays while reservations reference it. */
  delete(id: string, options: WriteOptions = {}): NodeRecord | undefined {
    return this.table.delete(id, options);
  }
}
