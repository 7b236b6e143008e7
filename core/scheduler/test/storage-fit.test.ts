import { strict as assert } from 'node:assert';
import { RejectionReason, Scheduler } from '..';
import { claim, Gi, ledgerFor, Mi, node, task } from './fixtures';

describe('scheduler: storage fit for all claims together', () => {
  it('never places two 100Mi claims on a node whose pool has 150Mi free', async () => {
    const nodes = [node('a', { ssdBytes: 150 * Mi }), node('b', { ssdBytes: 1 * Gi }), node('c', { ssdBytes: 300 * Mi })];
    for (let seed = 1; seed <= 25; seed++) {
      const ledger = await ledgerFor(nodes);
      const scheduler = new Scheduler(ledger, { seed, candidateLimit: 3 });
      const result = await scheduler.scheduleOne(nodes, task('pg', 0, { claims: [claim('data', 100 * Mi), claim('wal', 100 * Mi)] }));
      assert.equal(result.kind, 'placed');
      assert.notEqual(result.kind === 'placed' && result.nodeId, 'a', `seed ${seed} placed on a`);
    }
  });

  it('says why: "pool ssd has 150Mi free, claims need 2×100Mi"', async () => {
    const nodes = [node('a', { ssdBytes: 150 * Mi })];
    const scheduler = new Scheduler(await ledgerFor(nodes), { seed: 1 });
    const result = await scheduler.scheduleOne(nodes, task('pg', 0, { claims: [claim('data', 100 * Mi), claim('wal', 100 * Mi)] }));
    assert.ok(result.kind === 'unschedulable');
    assert.equal(result.reason, RejectionReason.StorageFit);
    assert.deepEqual(
      result.rejections.map((r) => [r.nodeId, r.reason, r.message]),
      [['a', 'storage-fit', 'pool ssd has 150Mi free, claims need 2×100Mi']],
    );
  });

  it('reserves every claim in the pool it was planned for', async () => {
    const nodes = [
      node('a', {
        pools: [
          { plugin: 'berth.local', pool: 'fast1', capacityBytes: 120 * Mi, healthy: true, labels: { media: 'ssd' } },
          { plugin: 'berth.local', pool: 'fast2', capacityBytes: 120 * Mi, healthy: true, labels: { media: 'ssd' } },
          { plugin: 'berth.local', pool: 'slow', capacityBytes: 10 * Gi, healthy: true, labels: { media: 'hdd' } },
        ],
      }),
    ];
    const ledger = await ledgerFor(nodes);
    const scheduler = new Scheduler(ledger, { seed: 1 });
    // Neither ssd pool holds both claims; together they do, one claim each. The hdd pool must not be used.
    const ssd = { pool: undefined, poolSelector: { media: 'ssd' } };
    const result = await scheduler.scheduleOne(nodes, task('pg', 0, { claims: [claim('data', 100 * Mi, ssd), claim('wal', 100 * Mi, ssd)] }));
    assert.ok(result.kind === 'placed');
    const pools = result.reservation.amounts.pools.map((p) => p.pool).sort();
    assert.deepEqual(pools, ['fast1', 'fast2']);
  });

  it('does not count bound claims as new space, but does pin them', async () => {
    const nodes = [node('a', { ssdBytes: 150 * Mi }), node('b', { ssdBytes: 10 * Gi })];
    const scheduler = new Scheduler(await ledgerFor(nodes), { seed: 1 });
    const bound = claim('data', 140 * Mi, { bound: { volumeId: 'vol-1', nodeId: 'a' } });
    const result = await scheduler.scheduleOne(nodes, task('pg', 0, { claims: [bound, claim('wal', 10 * Mi)] }));
    assert.ok(result.kind === 'placed');
    assert.equal(result.nodeId, 'a');
    assert.deepEqual(
      result.reservation.amounts.pools.map((p) => [p.claimId, p.bytes]),
      [['wal', 10 * Mi]],
    );
    assert.deepEqual(result.reservation.amounts.attachments, [{ plugin: 'berth.local', count: 2 }]);
  });
});
