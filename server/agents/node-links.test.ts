import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeRecord } from '../store/records';
import { SqliteClusterStore } from '../store/sqlite-cluster-store';
import { NodeLinks } from './node-links';

const node = (id: string): NodeRecord => ({
  id,
  // Nothing listens there: a link connects only when called, and these tests make no call.
  address: '127.0.0.1:9',
  labels: {},
  cpuCores: 1,
  memoryBytes: 1,
  runtime: 'test',
  plugins: [],
  lastSyncMs: 0,
  reportedAtMs: 0,
  state: 'ready',
});

describe('node links', () => {
  let dir: string;
  let store: SqliteClusterStore;
  let links: NodeLinks;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-links-'));
    store = new SqliteClusterStore(join(dir, 'berth.db'));
    links = new NodeLinks(() => undefined);
  });
  afterEach(() => {
    links.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('closes and drops the link of a node whose record is deleted, and keeps the others', () => {
    links.follow(store);
    store.transaction(() => {
      store.nodes.put('n1', node('n1'));
      store.nodes.put('n2', node('n2'));
    });
    const n1 = links.get(node('n1'));
    const n2 = links.get(node('n2'));
    const closed: string[] = [];
    for (const link of [n1, n2]) {
      const close = link.close.bind(link);
      link.close = () => {
        closed.push(link.nodeId);
        close();
      };
    }

    store.nodes.put('n2', { ...node('n2'), lastSyncMs: 1 }); // an update keeps the link
    store.nodes.delete('n1');

    assert.deepEqual(closed, ['n1']);
    assert.ok(!links.has('n1') && links.has('n2'));
    assert.equal(links.get(node('n2')), n2);
    // The node joins again: a new link.
    assert.notEqual(links.get(node('n1')), n1);
  });

  it('drops nothing for deletes of other kinds', () => {
    links.follow(store);
    store.nodes.put('n1', node('n1'));
    links.get(node('n1'));
    store.secrets.put('n1', { name: 'n1', data: {} });
    store.secrets.delete('n1');
    assert.ok(links.has('n1'));
  });
});
