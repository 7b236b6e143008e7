import { strict as assert } from 'node:assert';
import { addAmounts, emptyTotals, freeAttachSlots, freePoolBytes, nodeLedgerState, poolKey, poolTotalBytes } from '..';
import type { NodeCapacity } from '..';

const capacity = (ssd: number, limit?: number): NodeCapacity => ({
  cpuMillis: 4000,
  memoryBytes: 8 << 30,
  poolBytes: new Map([
    [poolKey('berth.local', 'ssd'), ssd],
    [poolKey('berth.local', 'hdd'), 1000],
  ]),
  attachSlots: new Map(limit === undefined ? [] : [['berth.local', limit]]),
});

describe('node ledger state: free space the scheduler reads', () => {
  it('subtracts usage from capacity for CPU, memory, every pool and attach slots', () => {
    const used = addAmounts(
      emptyTotals(),
      {
        cpuMillis: 500,
        memoryBytes: 1 << 30,
        pools: [
          { plugin: 'berth.local', pool: 'ssd', bytes: 300 },
          { plugin: 'berth.local', pool: 'ssd', bytes: 100 },
        ],
        attachments: [{ plugin: 'berth.local', count: 2 }],
      },
      1,
    );
    const state = nodeLedgerState('n1', capacity(1000, 8), used);
    assert.equal(state.freeCpuMillis, 3500);
    assert.equal(state.freeMemoryBytes, 7 << 30);
    assert.equal(freePoolBytes(state, poolKey('berth.local', 'ssd')), 600);
    assert.equal(freePoolBytes(state, poolKey('berth.local', 'hdd')), 1000);
    assert.equal(poolTotalBytes(state, poolKey('berth.local', 'ssd')), 1000);
    assert.equal(freeAttachSlots(state, 'berth.local'), 6);
  });

  it('answers 0 for a pool the node lacks and Infinity for a plugin without attach limit', () => {
    const state = nodeLedgerState('n1', capacity(1000), emptyTotals());
    assert.equal(freePoolBytes(state, poolKey('berth.local', 'nvme')), 0);
    assert.equal(poolTotalBytes(state, poolKey('berth.local', 'nvme')), 0);
    assert.equal(freeAttachSlots(state, 'berth.local'), Infinity);
    assert.equal(freeAttachSlots(state, 'vendor.csi'), Infinity);
  });

  it('shows usage left in a pool the node stopped reporting as negative free space', () => {
    const used = addAmounts(emptyTotals(), { cpuMillis: 0, memoryBytes: 0, pools: [{ plugin: 'berth.local', pool: 'gone', bytes: 50 }], attachments: [] }, 1);
    const state = nodeLedgerState('n1', capacity(1000), used);
    assert.equal(freePoolBytes(state, poolKey('berth.local', 'gone')), -50);
    assert.equal(poolTotalBytes(state, poolKey('berth.local', 'gone')), 0);
    assert.equal(freePoolBytes(state, poolKey('berth.local', 'ssd')), 1000, 'the other pools keep their numbers');
  });

  it('shares one layout between nodes built alike, and keeps each node its own numbers', () => {
    const a = nodeLedgerState('a', capacity(1000, 4), emptyTotals());
    const b = nodeLedgerState('b', capacity(2000, 4), emptyTotals());
    const c = nodeLedgerState('c', capacity(2000), emptyTotals());
    assert.equal(a.layout, b.layout);
    assert.notEqual(a.layout, c.layout, 'a different set of limited plugins is a different layout');
    assert.equal(freePoolBytes(a, poolKey('berth.local', 'ssd')), 1000);
    assert.equal(freePoolBytes(b, poolKey('berth.local', 'ssd')), 2000);
  });
});
