import { strict as assert } from 'node:assert';
import { LedgerInvariantError, ReservationConflictError, InsufficientCapacityError, InvalidRequestError } from '../../domain';
import type { NodeCapacity, ResourceAmounts } from '../../domain';
import { InMemoryLedgerStore, Ledger } from '..';

const Mi = 1024 ** 2;

function capacity(cpuMillis: number, memoryBytes: number, pools: Record<string, number>, attach: Record<string, number> = {}): NodeCapacity {
  return { cpuMillis, memoryBytes, poolBytes: new Map(Object.entries(pools)), attachSlots: new Map(Object.entries(attach)) };
}

function amounts(cpuMillis: number, memoryBytes: number, pools: Array<[string, number]> = [], attach = 0): ResourceAmounts {
  return {
    cpuMillis,
    memoryBytes,
    pools: pools.map(([pool, bytes]) => ({ plugin: 'berth.local', pool, bytes })),
    attachments: attach ? [{ plugin: 'berth.local', count: attach }] : [],
  };
}

async function newLedger(cap = capacity(4000, 1024 * Mi, { 'berth.local/ssd': 150 * Mi })): Promise<Ledger> {
  const ledger = new Ledger(new InMemoryLedgerStore());
  await ledger.registerNode('n1', cap);
  return ledger;
}

describe('reservation ledger', () => {
  it('reserves CPU, memory and pool bytes in one step', async () => {
    const ledger = await newLedger();
    const outcome = await ledger.reserve({ holderId: 't1', nodeId: 'n1', amounts: amounts(1000, 100 * Mi, [['ssd', 100 * Mi]]) });
    assert.equal(outcome.status, 'reserved');
    const state = (await ledger.nodeState('n1'))!;
    assert.equal(state.used.cpuMillis, 1000);
    assert.equal(state.used.poolBytes.get('berth.local/ssd'), 100 * Mi);
  });

  it('sums claims in the same pool: two 100Mi claims do not fit 150Mi, and nothing is reserved', async () => {
    const ledger = await newLedger();
    const outcome = await ledger.reserve({
      holderId: 't1',
      nodeId: 'n1',
      amounts: amounts(500, 10 * Mi, [
        ['ssd', 100 * Mi],
        ['ssd', 100 * Mi],
      ]),
    });
    assert.equal(outcome.status, 'insufficient');
    assert.ok(outcome.status === 'insufficient');
    assert.deepEqual(outcome.shortfalls, [{ resource: 'pool', plugin: 'berth.local', pool: 'ssd', needed: 200 * Mi, free: 150 * Mi }]);
    const state = (await ledger.nodeState('n1'))!;
    assert.equal(state.used.cpuMillis, 0, 'CPU fitted, but all-or-nothing means it was not taken either');
    assert.equal(await ledger.list().then((l) => l.length), 0);
  });

  it('is idempotent for the same holder and placement, and a clear conflict otherwise', async () => {
    const ledger = await newLedger();
    const req = { holderId: 't1', nodeId: 'n1', amounts: amounts(1000, 10 * Mi, [['ssd', 50 * Mi]]) };
    assert.equal((await ledger.reserve(req)).status, 'reserved');
    assert.equal((await ledger.reserve(req)).status, 'already-reserved');
    assert.equal((await ledger.nodeState('n1'))!.used.cpuMillis, 1000, 'a retry does not double-count');
    const different = { ...req, amounts: amounts(2000, 10 * Mi) };
    const conflict = await ledger.reserve(different);
    assert.equal(conflict.status, 'holder-conflict');
    await assert.rejects(ledger.reserveOrThrow(different), ReservationConflictError);
  });

  it('replaces a holder reservation atomically when asked, crediting the old amounts', async () => {
    const ledger = await newLedger(capacity(2000, 1024 * Mi, {}));
    await ledger.reserve({ holderId: 't1', nodeId: 'n1', amounts: amounts(1500, 0) });
    // 1800m only fits if the old 1500m is given back in the same transaction.
    const outcome = await ledger.reserve({ holderId: 't1', nodeId: 'n1', amounts: amounts(1800, 0), replaceExisting: true });
    assert.equal(outcome.status, 'reserved');
    assert.equal((await ledger.nodeState('n1'))!.used.cpuMillis, 1800);
  });

  it('releases idempotently', async () => {
    const ledger = await newLedger();
    await ledger.reserve({ holderId: 't1', nodeId: 'n1', amounts: amounts(1000, 10 * Mi, [['ssd', 50 * Mi]]) });
    assert.equal((await ledger.release('t1')).status, 'released');
    assert.equal((await ledger.release('t1')).status, 'not-found');
    assert.equal((await ledger.release('never-existed')).status, 'not-found');
    const state = (await ledger.nodeState('n1'))!;
    assert.equal(state.used.cpuMillis, 0);
    assert.equal(state.used.poolBytes.get('berth.local/ssd'), 0);
  });

  it('counts static reservations against capacity and never reports them as orphans', async () => {
    const ledger = await newLedger();
    await ledger.reserveStatic('n1', 'system', amounts(3500, 0, [['ssd', 100 * Mi]]));
    const outcome = await ledger.reserve({ holderId: 't1', nodeId: 'n1', amounts: amounts(1000, 0) });
    assert.equal(outcome.status, 'insufficient');
    assert.deepEqual(await ledger.findOrphans(new Set()), []);
    await assert.rejects(ledger.reserveOrThrow({ holderId: 't1', nodeId: 'n1', amounts: amounts(1000, 0) }), InsufficientCapacityError);
    assert.equal((await ledger.releaseStatic('n1', 'system')).status, 'released');
    assert.equal((await ledger.reserve({ holderId: 't1', nodeId: 'n1', amounts: amounts(1000, 0) })).status, 'reserved');
  });

  it("moves a claim's bytes from its task to a static reservation in one step, idempotently", async () => {
    const ledger = await newLedger();
    const claimBytes = { plugin: 'berth.local', pool: 'ssd', bytes: 100 * Mi, claimId: 'db/data/0' };
    await ledger.reserve({ holderId: 'db-0', nodeId: 'n1', amounts: { ...amounts(1000, 0), pools: [claimBytes] } });
    const move = { fromHolderId: 'db-0', claimId: 'db/data/0', nodeId: 'n1', role: 'volume:v1', amounts: amounts(0, 0, [['ssd', 100 * Mi]]) };
    assert.equal((await ledger.moveToStatic(move)).status, 'reserved');
    assert.equal((await ledger.reserve({ holderId: 'other', nodeId: 'n1', amounts: amounts(0, 0, [['ssd', 60 * Mi]]) })).status, 'insufficient');
    const state = (await ledger.nodeState('n1'))!;
    assert.equal(state.used.poolBytes.get('berth.local/ssd'), 100 * Mi, 'counted once, not twice and not zero');
    assert.equal(state.used.cpuMillis, 1000, 'the task keeps its CPU');
    assert.deepEqual(
      (await ledger.list()).map((r) => [r.holderId, r.amounts.pools.length]),
      [
        ['db-0', 0],
        ['static:n1:volume:v1', 1],
      ],
    );
    assert.equal((await ledger.moveToStatic(move)).status, 'already-reserved');
    assert.equal((await ledger.nodeState('n1'))!.used.poolBytes.get('berth.local/ssd'), 100 * Mi);
  });

  it("refuses a move whose static amounts do not fit, and leaves the task's reservation as it was", async () => {
    const ledger = await newLedger();
    await ledger.reserve({
      holderId: 'db-0',
      nodeId: 'n1',
      amounts: { ...amounts(0, 0), pools: [{ plugin: 'berth.local', pool: 'ssd', bytes: 100 * Mi, claimId: 'c' }] },
    });
    const outcome = await ledger.moveToStatic({
      fromHolderId: 'db-0',
      claimId: 'c',
      nodeId: 'n1',
      role: 'volume:v1',
      amounts: amounts(0, 0, [['ssd', 200 * Mi]]),
    });
    assert.equal(outcome.status, 'insufficient');
    assert.deepEqual(
      (await ledger.list()).map((r) => [r.holderId, r.amounts.pools[0]?.bytes]),
      [['db-0', 100 * Mi]],
    );
  });

  it('adopts what already runs even past capacity, so the shortfall blocks new work instead of being handed out', async () => {
    const ledger = await newLedger(); // ssd: 150Mi
    const running = { holderId: 'db-0', nodeId: 'n1', amounts: amounts(500, 0, [['ssd', 200 * Mi]]) };
    assert.equal((await ledger.reserve(running)).status, 'insufficient', 'a new reservation this big is refused');
    const adopted = await ledger.adopt(running);
    assert.ok('shortfalls' in adopted);
    assert.deepEqual(
      adopted.shortfalls.map((s) => s.resource),
      ['pool'],
    );
    assert.equal((await ledger.reserve({ holderId: 'new', nodeId: 'n1', amounts: amounts(0, 0, [['ssd', 1]]) })).status, 'insufficient');
    await ledger.adopt(running); // again, as at every start: replaced, not counted twice
    assert.equal((await ledger.nodeState('n1'))!.used.poolBytes.get('berth.local/ssd'), 200 * Mi);
    assert.deepEqual(await ledger.adopt({ ...running, nodeId: 'gone' }), { unknownNode: 'gone' });
  });

  it('finds and releases reservations whose task is gone', async () => {
    const ledger = await newLedger();
    for (const id of ['pg-0', 'pg-1', 'web-0']) await ledger.reserve({ holderId: id, nodeId: 'n1', amounts: amounts(100, Mi) });
    const live = new Set(['pg-0']);
    assert.deepEqual(
      (await ledger.findOrphans(live)).map((r) => r.holderId),
      ['pg-1', 'web-0'],
    );
    assert.deepEqual(
      (await ledger.releaseOrphans(live)).map((r) => r.holderId),
      ['pg-1', 'web-0'],
    );
    assert.deepEqual(
      (await ledger.list()).map((r) => r.holderId),
      ['pg-0'],
    );
    assert.equal((await ledger.nodeState('n1'))!.used.cpuMillis, 100);
  });

  it('enforces attach limits per plugin', async () => {
    const ledger = await newLedger(capacity(8000, 1024 * Mi, { 'berth.local/ssd': 1024 * Mi }, { 'berth.local': 3 }));
    assert.equal((await ledger.reserve({ holderId: 'a', nodeId: 'n1', amounts: amounts(1, 0, [], 2) })).status, 'reserved');
    const outcome = await ledger.reserve({ holderId: 'b', nodeId: 'n1', amounts: amounts(1, 0, [], 2) });
    assert.ok(outcome.status === 'insufficient');
    assert.deepEqual(outcome.shortfalls, [{ resource: 'attach', plugin: 'berth.local', needed: 2, free: 1 }]);
  });

  it('answers unknown-node for unregistered nodes and refuses invalid amounts', async () => {
    const ledger = await newLedger();
    assert.equal((await ledger.reserve({ holderId: 't', nodeId: 'nope', amounts: amounts(1, 1) })).status, 'unknown-node');
    await assert.rejects(ledger.reserve({ holderId: 't', nodeId: 'n1', amounts: amounts(-1, 1) }), InvalidRequestError);
    await assert.rejects(ledger.reserve({ holderId: 't', nodeId: 'n1', amounts: amounts(0.5, 1) }), InvalidRequestError);
  });

  it('rolls a transaction back when its callback throws, and refuses async callbacks', async () => {
    const store = new InMemoryLedgerStore();
    const ledger = new Ledger(store);
    await ledger.registerNode('n1', capacity(1000, Mi, {}));
    await assert.rejects(
      store.transaction((tx) => {
        tx.insertReservation({ holderId: 'x', kind: 'task', nodeId: 'n1', amounts: amounts(500, 0) });
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal((await ledger.nodeState('n1'))!.used.cpuMillis, 0);
    assert.deepEqual(await ledger.list(), []);
    await assert.rejects(
      store.transaction(async () => 1),
      LedgerInvariantError,
    );
  });

  it('never overcommits under 50 concurrent, interleaved reserves', async () => {
    let seed = 7;
    const store = new InMemoryLedgerStore({
      beforeTransaction: () => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return new Promise((r) => setTimeout(r, seed % 3));
      },
    });
    const ledger = new Ledger(store);
    await ledger.registerNode('n1', capacity(4000, 1024 * Mi, { 'berth.local/ssd': 1000 * Mi }));
    // Each wants 300m CPU and 2×40Mi: CPU allows 13, the pool allows 12 (12×80Mi = 960Mi).
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        ledger.reserve({
          holderId: `t${i}`,
          nodeId: 'n1',
          amounts: amounts(300, 10 * Mi, [
            ['ssd', 40 * Mi],
            ['ssd', 40 * Mi],
          ]),
        }),
      ),
    );
    const reserved = outcomes.filter((o) => o.status === 'reserved').length;
    assert.equal(reserved, 12);
    assert.equal(outcomes.filter((o) => o.status === 'insufficient').length, 38);
    const state = (await ledger.nodeState('n1'))!;
    assert.equal(state.used.poolBytes.get('berth.local/ssd'), 960 * Mi);
    assert.ok(state.used.cpuMillis <= state.capacity.cpuMillis);
  });
});

describe('reservation ledger: host ports', () => {
  const range = { first: 20000, last: 20002 };
  const withPorts = (ports: Array<[string, number]>): ResourceAmounts => ({ ...amounts(100, Mi), hostPorts: ports.map(([name, port]) => ({ name, port })) });

  async function portLedger(random = () => 0): Promise<Ledger> {
    const ledger = new Ledger(new InMemoryLedgerStore(), { random });
    await ledger.registerNode('n1', { ...capacity(4000, 1024 * Mi, {}), hostPortRange: range });
    await ledger.registerNode('n2', { ...capacity(4000, 1024 * Mi, {}), hostPortRange: range });
    return ledger;
  }

  it('refuses a host port another holder has on the node, naming it; other nodes are unaffected', async () => {
    const ledger = await portLedger();
    assert.equal((await ledger.reserve({ holderId: 'a', nodeId: 'n1', amounts: withPorts([['db', 5432]]) })).status, 'reserved');
    const refused = await ledger.reserve({ holderId: 'b', nodeId: 'n1', amounts: withPorts([['db', 5432]]) });
    assert.ok(refused.status === 'insufficient');
    assert.deepEqual(refused.shortfalls, [{ resource: 'host-port', name: 'db', port: 5432 }]);
    await assert.rejects(ledger.reserveOrThrow({ holderId: 'b', nodeId: 'n1', amounts: withPorts([['db', 5432]]) }), /host port 5432 \(db\) in use/);
    assert.equal((await ledger.reserve({ holderId: 'b', nodeId: 'n2', amounts: withPorts([['db', 5432]]) })).status, 'reserved');
    await ledger.release('a');
    assert.equal((await ledger.reserve({ holderId: 'c', nodeId: 'n1', amounts: withPorts([['db', 5432]]) })).status, 'reserved');
  });

  it('never books one port twice under concurrent reserves', async () => {
    const ledger = new Ledger(new InMemoryLedgerStore({ beforeTransaction: () => new Promise((r) => setImmediate(r)) }));
    await ledger.registerNode('n1', capacity(4000, 1024 * Mi, {}));
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) => ledger.reserve({ holderId: `t${i}`, nodeId: 'n1', amounts: withPorts([['web', 8080]]) })),
    );
    assert.equal(outcomes.filter((o) => o.status === 'reserved').length, 1);
    assert.equal((await ledger.nodeState('n1'))!.used.hostPorts?.get(8080), 1);
  });

  it('picks dynamic ports from the range inside the reservation, until the range is exhausted', async () => {
    const ledger = await portLedger();
    const first = await ledger.reserveOrThrow({ holderId: 'a', nodeId: 'n1', amounts: amounts(100, Mi), dynamicPorts: [{ name: 'web' }, { name: 'admin' }] });
    assert.deepEqual(first.amounts.hostPorts, [
      { name: 'web', port: 20000 },
      { name: 'admin', port: 20001 },
    ]);
    // A fixed port inside the range is not picked for another name of the same request.
    const second = await ledger.reserve({ holderId: 'b', nodeId: 'n1', amounts: withPorts([['x', 20002]]), dynamicPorts: [{ name: 'web' }] });
    assert.ok(second.status === 'insufficient');
    assert.deepEqual(second.shortfalls, [{ resource: 'host-port-range', range, needed: 1, free: 0 }]);
    const third = await ledger.reserveOrThrow({ holderId: 'b', nodeId: 'n1', amounts: amounts(100, Mi), dynamicPorts: [{ name: 'web' }] });
    assert.deepEqual(third.amounts.hostPorts, [{ name: 'web', port: 20002 }]);
    await assert.rejects(
      ledger.reserveOrThrow({ holderId: 'c', nodeId: 'n1', amounts: amounts(100, Mi), dynamicPorts: [{ name: 'web' }] }),
      /host ports 20000-20002: needs 1, 0 free/,
    );
  });

  it('keeps a holder its ports on a re-placement on the same node, and takes a preferred port when free', async () => {
    const ledger = await portLedger(() => 0.5);
    const held = await ledger.reserveOrThrow({ holderId: 'a', nodeId: 'n1', amounts: amounts(100, Mi), dynamicPorts: [{ name: 'web' }] });
    const port = held.amounts.hostPorts![0]!.port;
    // The same request again: nothing changes (idempotent), whatever the scan would start from.
    const again = await ledger.reserve({ holderId: 'a', nodeId: 'n1', amounts: amounts(100, Mi), dynamicPorts: [{ name: 'web' }], replaceExisting: true });
    assert.equal(again.status, 'already-reserved');
    // A resize on the same node keeps the port.
    const resized = await ledger.reserveOrThrow({
      holderId: 'a',
      nodeId: 'n1',
      amounts: amounts(200, Mi),
      dynamicPorts: [{ name: 'web' }],
      replaceExisting: true,
    });
    assert.deepEqual(resized.amounts.hostPorts, [{ name: 'web', port }]);
    // Released (stopped), then placed there again with the port it had recorded: the same port.
    await ledger.release('a');
    const back = await ledger.reserveOrThrow({ holderId: 'a', nodeId: 'n1', amounts: amounts(100, Mi), dynamicPorts: [{ name: 'web', preferred: port }] });
    assert.deepEqual(back.amounts.hostPorts, [{ name: 'web', port }]);
    // A preferred port that someone else holds now is not taken: another one is picked.
    await ledger.release('a');
    await ledger.reserveOrThrow({ holderId: 'z', nodeId: 'n1', amounts: withPorts([['p', port]]) });
    const moved = await ledger.reserveOrThrow({ holderId: 'a', nodeId: 'n1', amounts: amounts(100, Mi), dynamicPorts: [{ name: 'web', preferred: port }] });
    assert.notEqual(moved.amounts.hostPorts![0]!.port, port);
  });

  it('adopts recorded ports even when they collide, and frees them per holder', async () => {
    const ledger = await portLedger();
    await ledger.adopt({ holderId: 'a', nodeId: 'n1', amounts: withPorts([['web', 20000]]) });
    const second = await ledger.adopt({ holderId: 'b', nodeId: 'n1', amounts: withPorts([['web', 20000]]) });
    assert.ok('shortfalls' in second);
    assert.deepEqual(second.shortfalls, [{ resource: 'host-port', name: 'web', port: 20000 }]);
    await ledger.release('a');
    assert.equal((await ledger.nodeState('n1'))!.used.hostPorts?.get(20000), 1, 'still held by b');
    await ledger.release('b');
    assert.equal((await ledger.nodeState('n1'))!.used.hostPorts?.has(20000), false);
  });

  it('refuses malformed ports', async () => {
    const ledger = await portLedger();
    await assert.rejects(ledger.reserve({ holderId: 'a', nodeId: 'n1', amounts: withPorts([['web', 0]]) }), InvalidRequestError);
    await assert.rejects(
      ledger.reserve({
        holderId: 'a',
        nodeId: 'n1',
        amounts: withPorts([
          ['a', 80],
          ['b', 80],
        ]),
      }),
      InvalidRequestError,
    );
  });
});
