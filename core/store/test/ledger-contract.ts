/**
 * The LedgerStore contract (core/reservations/ledger-store.ts, guarantees 1–4) as a suite that
 * runs against any implementation. core/reservations has no reusable contract suite yet; this one
 * could move there (see the report).
 */
import { strict as assert } from 'node:assert';
import { LedgerInvariantError } from '../../domain';
import type { NodeCapacity, ResourceAmounts } from '../../domain';
import { Ledger } from '../../reservations';
import type { LedgerStore } from '../../reservations';

const Mi = 1024 ** 2;

export interface LedgerStoreHarness {
  readonly store: LedgerStore;
  /** Wraps each transaction with a random delay before it starts, to interleave concurrent callers. */
  readonly interleave?: boolean;
  /** Closes and reopens the same persistent state; absent for memory stores. */
  reopen?(): Promise<LedgerStore>;
  cleanup(): Promise<void>;
}

export function capacity(cpuMillis: number, memoryBytes: number, pools: Record<string, number>, attach: Record<string, number> = {}): NodeCapacity {
  return { cpuMillis, memoryBytes, poolBytes: new Map(Object.entries(pools)), attachSlots: new Map(Object.entries(attach)) };
}

export function amounts(cpuMillis: number, memoryBytes: number, pools: Array<[string, number]> = []): ResourceAmounts {
  return { cpuMillis, memoryBytes, pools: pools.map(([pool, bytes]) => ({ plugin: 'berth.local', pool, bytes })), attachments: [] };
}

/** Guarantee 3 checked from the outside: each node's usage equals the sum of its reservations. */
export async function assertUsageMatchesReservations(store: LedgerStore): Promise<void> {
  await store.transaction((tx) => {
    const sums = new Map<string, { cpu: number; memory: number; pools: Map<string, number> }>();
    for (const r of tx.reservations()) {
      const sum = sums.get(r.nodeId) ?? { cpu: 0, memory: 0, pools: new Map<string, number>() };
      sum.cpu += r.amounts.cpuMillis;
      sum.memory += r.amounts.memoryBytes;
      for (const p of r.amounts.pools) sum.pools.set(`${p.plugin}/${p.pool}`, (sum.pools.get(`${p.plugin}/${p.pool}`) ?? 0) + p.bytes);
      sums.set(r.nodeId, sum);
    }
    for (const [nodeId, sum] of sums) {
      const state = tx.nodeState(nodeId)!;
      assert.equal(state.used.cpuMillis, sum.cpu, `cpu usage of ${nodeId}`);
      assert.equal(state.used.memoryBytes, sum.memory, `memory usage of ${nodeId}`);
      for (const [key, bytes] of sum.pools) assert.equal(state.used.poolBytes.get(key) ?? 0, bytes, `usage of ${key} on ${nodeId}`);
    }
  });
}

export function ledgerStoreContract(name: string, open: () => Promise<LedgerStoreHarness>): void {
  describe(`LedgerStore contract: ${name}`, () => {
    let harness: LedgerStoreHarness;
    let ledger: Ledger;

    beforeEach(async () => {
      harness = await open();
      ledger = new Ledger(harness.store);
      await ledger.registerNode('n1', capacity(4000, 1024 * Mi, { 'berth.local/ssd': 1000 * Mi }));
    });
    afterEach(() => harness.cleanup());

    it('never overcommits under 50 concurrent, interleaved reserves', async () => {
      // Each wants 300m CPU and 2×40Mi: CPU allows 13, the pool 12 (12×80Mi = 960Mi ≤ 1000Mi).
      const outcomes = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          ledger.reserve({ holderId: `t${i}`, nodeId: 'n1', amounts: amounts(300, 10 * Mi, [['ssd', 40 * Mi], ['ssd', 40 * Mi]]) }),
        ),
      );
      assert.equal(outcomes.filter((o) => o.status === 'reserved').length, 12);
      assert.equal(outcomes.filter((o) => o.status === 'insufficient').length, 38);
      const state = (await ledger.nodeState('n1'))!;
      assert.equal(state.used.poolBytes.get('berth.local/ssd'), 960 * Mi);
      assert.ok(state.used.cpuMillis <= state.capacity.cpuMillis);
      await assertUsageMatchesReservations(harness.store);
    });

    it('releases idempotently and gives the capacity back', async () => {
      await ledger.reserve({ holderId: 't1', nodeId: 'n1', amounts: amounts(1000, 10 * Mi, [['ssd', 50 * Mi]]) });
      assert.equal((await ledger.release('t1')).status, 'released');
      assert.equal((await ledger.release('t1')).status, 'not-found');
      assert.equal((await ledger.release('never-existed')).status, 'not-found');
      const state = (await ledger.nodeState('n1'))!;
      assert.equal(state.used.cpuMillis, 0);
      assert.equal(state.used.poolBytes.get('berth.local/ssd') ?? 0, 0);
    });

    it('is idempotent for a repeated reserve and refuses a conflicting one', async () => {
      const request = { holderId: 't1', nodeId: 'n1', amounts: amounts(1000, 10 * Mi, [['ssd', 50 * Mi]]) };
      assert.equal((await ledger.reserve(request)).status, 'reserved');
      assert.equal((await ledger.reserve(request)).status, 'already-reserved');
      assert.equal((await ledger.reserve({ ...request, amounts: amounts(2000, 0) })).status, 'holder-conflict');
      assert.equal((await ledger.nodeState('n1'))!.used.cpuMillis, 1000);
    });

    it('writes nothing when a transaction throws (guarantee 2)', async () => {
      await assert.rejects(
        harness.store.transaction((tx) => {
          tx.insertReservation({ holderId: 'x', kind: 'task', nodeId: 'n1', amounts: amounts(500, 0) });
          tx.setNodeCapacity('n2', capacity(1, 1, {}));
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.equal((await ledger.nodeState('n1'))!.used.cpuMillis, 0);
      assert.equal(await ledger.nodeState('n2'), undefined);
      assert.deepEqual(await ledger.list(), []);
    });

    it('refuses an async callback and keeps none of its writes (guarantee 4)', async () => {
      await assert.rejects(
        harness.store.transaction(async (tx) => {
          tx.insertReservation({ holderId: 'x', kind: 'task', nodeId: 'n1', amounts: amounts(500, 0) });
          return 1;
        }),
        LedgerInvariantError,
      );
      assert.deepEqual(await ledger.list(), []);
      assert.equal((await ledger.nodeState('n1'))!.used.cpuMillis, 0);
    });

    it('keeps usage equal to the sum of reservations through reserves, replacements, releases and capacity changes (guarantee 3)', async () => {
      await ledger.registerNode('n2', capacity(8000, 2048 * Mi, { 'berth.local/ssd': 500 * Mi, 'berth.local/hdd': 4000 * Mi }));
      let seed = 11;
      const random = (n: number) => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
      };
      for (let i = 0; i < 120; i++) {
        const holderId = `t${random(15)}`;
        const nodeId = random(2) === 0 ? 'n1' : 'n2';
        const op = random(4);
        if (op === 0) await ledger.release(holderId);
        else {
          const pool = random(2) === 0 ? 'ssd' : 'hdd';
          await ledger.reserve({ holderId, nodeId, amounts: amounts(100 * (1 + random(5)), Mi * random(50), [[pool, Mi * (1 + random(100))]]), replaceExisting: op === 1 });
        }
        if (i === 60) await ledger.registerNode('n1', capacity(2000, 512 * Mi, { 'berth.local/ssd': 300 * Mi }));
      }
      await assertUsageMatchesReservations(harness.store);
      await ledger.releaseOrphans(new Set(['t1', 't2']));
      await assertUsageMatchesReservations(harness.store);
    });

    it('answers snapshots and reservationsOf consistently with the reservations', async () => {
      await ledger.reserve({ holderId: 'a', nodeId: 'n1', amounts: amounts(100, Mi) });
      await ledger.reserveStatic('n1', 'system', amounts(500, 0));
      const snapshot = await harness.store.snapshot();
      assert.deepEqual([...snapshot.nodes.keys()], ['n1']);
      assert.equal(snapshot.nodes.get('n1')!.used.cpuMillis, 600);
      const found = await harness.store.reservationsOf(['a', 'missing', 'static:n1:system']);
      assert.deepEqual([...found.keys()].sort(), ['a', 'static:n1:system']);
      assert.equal(found.get('static:n1:system')!.role, 'system');
      assert.equal(found.get('static:n1:system')!.kind, 'static');
    });

    it('keeps its state across close and reopen', async function () {
      if (!harness.reopen) this.skip();
      await ledger.reserve({ holderId: 'a', nodeId: 'n1', amounts: amounts(700, 64 * Mi, [['ssd', 300 * Mi]]) });
      await ledger.reserveStatic('n1', 'system', amounts(500, 0));
      const reopened = new Ledger(await harness.reopen!());
      const state = (await reopened.nodeState('n1'))!;
      assert.equal(state.capacity.cpuMillis, 4000);
      assert.equal(state.used.cpuMillis, 1200);
      assert.equal(state.used.poolBytes.get('berth.local/ssd'), 300 * Mi);
      assert.deepEqual((await reopened.list()).map((r) => r.holderId), ['a', 'static:n1:system']);
      assert.equal((await reopened.reserve({ holderId: 'a', nodeId: 'n1', amounts: amounts(700, 64 * Mi, [['ssd', 300 * Mi]]) })).status, 'already-reserved');
    });
  });
}
