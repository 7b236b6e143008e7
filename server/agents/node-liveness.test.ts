import assert from 'node:assert/strict';
import { materialOf, NodeLiveness } from './node-liveness';
import type { NodeRecord } from '../store/records';

describe('server: node liveness', () => {
  const liveness = new NodeLiveness();

  it('holds idle Syncs a third of the node-down time, longer in a large cluster so they stay at ≤ 30 a second', () => {
    assert.equal(liveness.holdMs(15_000, 3), 5_000);
    assert.equal(liveness.holdMs(15_000, 100), 5_000);
    assert.equal(liveness.holdMs(15_000, 1_000), 50_000, '1,000 nodes / 50 s = 20 Syncs a second');
    assert.equal(liveness.holdMs(15_000, 10_000), 60_000, 'never more than a minute');
    assert.equal(liveness.downAfterMs(15_000, 3), 15_000, 'a small cluster keeps the configured time');
    assert.equal(liveness.downAfterMs(15_000, 1_000), 15_000, 'so does a large one: a held Sync counts as hearing from the node');
  });

  it('hears from a node while a Sync of its is open, and when the last one ends', async () => {
    const heard = new NodeLiveness();
    const stored = { id: 'n9', lastSyncMs: 0 } as NodeRecord;
    const started = Date.now();
    heard.callStarted('n9');
    heard.callStarted('n9'); // a cut-short long poll and the next overlap
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(heard.lastSyncMs(stored) >= started + 20, 'an open Sync is news from the node now');
    heard.callEnded('n9');
    assert.ok(heard.lastSyncMs(stored) >= started + 20, 'one of the two is still open');
    heard.callEnded('n9');
    const ended = heard.lastSyncMs(stored);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(heard.lastSyncMs(stored), ended, 'silence counts from the end of the last Sync');
  });

  it('writes a node again only when something besides its heartbeat and pool figures changed', () => {
    const node = (free: string, at: number, healthy = true): NodeRecord => ({
      id: 'n1',
      address: '127.0.0.1:1',
      labels: {},
      cpuCores: 2,
      memoryBytes: 1,
      runtime: 'process',
      lastSyncMs: at,
      reportedAtMs: at,
      state: 'ready',
      plugins: [
        {
          name: 'berth.local',
          healthy,
          pools: [{ name: 'fast', availableBytes: free, parameters: {}, reportedAtMs: String(at) }],
        } as unknown as NodeRecord['plugins'][number],
      ],
    });
    const stored = Object.freeze(JSON.parse(JSON.stringify(node('100', 1))) as NodeRecord);
    assert.equal(materialOf(node('90', 2)), materialOf(stored));
    assert.notEqual(materialOf(node('90', 2, false)), materialOf(stored));
    assert.equal(
      materialOf({ ...node('90', 2), features: undefined }),
      materialOf(stored),
      'an undefined field is no change (the stored record has been through JSON)',
    );
  });

  it('gives the ledger the capacity of a node again only when it changed', () => {
    const capacity = { cpuMillis: 2000, memoryBytes: 10, poolBytes: new Map([['p', 5]]), attachSlots: new Map<string, number>() };
    assert.equal(liveness.capacityChanged('n1', capacity), true);
    assert.equal(liveness.capacityChanged('n1', { ...capacity, poolBytes: new Map([['p', 5]]) }), false);
    assert.equal(liveness.capacityChanged('n1', { ...capacity, poolBytes: new Map([['p', 4]]) }), true);
  });
});
