import { strict as assert } from 'node:assert';
import { Scheduler } from '..';
import type { Reservation } from '../../domain';
import { claim, Gi, jitter, ledgerFor, Mi, node, task } from './fixtures';

describe('scheduler: concurrent placements', () => {
  it('50 concurrent placements never overcommit any pool or CPU', async () => {
    // Each node fits exactly 10 tasks by CPU (10×400m) and by pool (10×2×50Mi); 3 nodes → 30 fit.
    const nodes = ['a', 'b', 'c'].map((id, i) => node(id, { cpuMillis: 4000, memoryBytes: 64 * Gi, ssdBytes: 1000 * Mi, zone: `z${i}` }));
    const ledger = await ledgerFor(nodes, { beforeTransaction: jitter(11) });
    const tasks = Array.from({ length: 50 }, (_, i) =>
      task('db', i, { cpuMillis: 400, memoryBytes: 128 * Mi, claims: [claim('data', 50 * Mi), claim('wal', 50 * Mi)] }),
    );
    // Every task is its own pass with its own snapshot, all racing for the same three nodes.
    const results = await Promise.all(tasks.map((t, i) => new Scheduler(ledger, { seed: i + 1 }).scheduleOne(nodes, t)));

    const reservations = await ledger.list();
    for (const n of nodes) {
      const mine = reservations.filter((r) => r.nodeId === n.id);
      const cpu = sum(mine, (r) => r.amounts.cpuMillis);
      const bytes = sum(mine, (r) => r.amounts.pools.reduce((s, p) => s + p.bytes, 0));
      assert.ok(cpu <= n.cpuMillis, `node ${n.id}: ${cpu}m CPU reserved of ${n.cpuMillis}m`);
      assert.ok(bytes <= n.pools[0]!.capacityBytes, `node ${n.id}: ${bytes} bytes reserved of ${n.pools[0]!.capacityBytes}`);
      const state = (await ledger.nodeState(n.id))!;
      assert.equal(state.used.cpuMillis, cpu, 'the usage index equals the sum of reservations');
    }
    const placed = results.filter((r) => r.kind === 'placed');
    assert.equal(placed.length, 30, 'all capacity is used: every task that could fit was placed');
    assert.equal(reservations.length, 30);
    assert.ok(
      placed.some((r) => r.kind === 'placed' && r.reserveAttempts > 1),
      'the race was real: some reserves were refused',
    );
    for (const r of results) {
      if (r.kind === 'unschedulable') {
        assert.equal(r.rejections.length, 3);
        for (const rej of r.rejections) assert.ok(['insufficient-cpu', 'storage-fit'].includes(rej.reason), rej.reason);
      }
    }
  });
});

function sum(items: readonly Reservation[], f: (r: Reservation) => number): number {
  return items.reduce((s, r) => s + f(r), 0);
}
