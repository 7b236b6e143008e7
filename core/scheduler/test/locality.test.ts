import { strict as assert } from 'node:assert';
import { describePlacement, RejectionReason, Scheduler } from '..';
import { claim, ledgerFor, Mi, node, task } from './fixtures';

const boundToB = () => task('pg', 1, { claims: [claim('data', 100 * Mi, { bound: { volumeId: 'vol-b', nodeId: 'b' } })] });

describe('scheduler: volume locality', () => {
  it('runs a task whose local volume lives on node B only on B', async () => {
    const nodes = [node('a'), node('b'), node('c')];
    for (let seed = 1; seed <= 20; seed++) {
      const scheduler = new Scheduler(await ledgerFor(nodes), { seed });
      const result = await scheduler.scheduleOne(nodes, boundToB());
      assert.ok(result.kind === 'placed');
      assert.equal(result.nodeId, 'b');
    }
  });

  it('keeps it pending with reason volume-locality when B is down', async () => {
    const nodes = [node('a'), node('b', { ready: false }), node('c')];
    const scheduler = new Scheduler(await ledgerFor(nodes), { seed: 3 });
    const result = await scheduler.scheduleOne(nodes, boundToB());
    assert.ok(result.kind === 'unschedulable');
    assert.equal(result.reason, RejectionReason.VolumeLocality);
    assert.deepEqual(
      result.rejections.map((r) => [r.nodeId, r.reason]),
      [
        ['a', 'volume-locality'],
        ['b', 'node-not-ready'],
        ['c', 'volume-locality'],
      ],
    );
    assert.match(result.summary, /volume vol-b of claim data lives only on node b, which cannot run it: node-not-ready/);
    const text = describePlacement(result).join('\n');
    assert.match(text, /node a: volume-locality — volume vol-b of claim data lives on node b/);
  });

  it("makes a volume from a node-local snapshot only on the snapshot's node, reserving its space there", async () => {
    const fromSnapshot = () => task('copy', 0, { claims: [claim('data', 100 * Mi, { source: { kind: 'snapshot', id: 'snap-b', nodeId: 'b' } })] });
    const nodes = [node('a'), node('b'), node('c')];
    for (let seed = 1; seed <= 10; seed++) {
      const ledger = await ledgerFor(nodes);
      const result = await new Scheduler(ledger, { seed }).scheduleOne(nodes, fromSnapshot());
      assert.ok(result.kind === 'placed');
      assert.equal(result.nodeId, 'b');
      assert.deepEqual(
        result.reservation.amounts.pools.map((p) => p.bytes),
        [100 * Mi],
        'the new volume still needs its space',
      );
    }
    const full = [node('a'), node('b', { ssdBytes: 50 * Mi }), node('c')];
    const pending = await new Scheduler(await ledgerFor(full), { seed: 1 }).scheduleOne(full, fromSnapshot());
    assert.ok(pending.kind === 'unschedulable');
    assert.equal(pending.reason, RejectionReason.VolumeLocality);
    assert.match(pending.summary, /data source \(snapshot snap-b\) of claim data lives only on node b, which cannot run it: storage-fit/);
  });

  it('keeps a task on the node of its reservation when it is rescheduled (reservation reuse)', async () => {
    const nodes = [node('a'), node('b'), node('c')];
    const ledger = await ledgerFor(nodes);
    const first = await new Scheduler(ledger, { seed: 1 }).scheduleOne(nodes, task('web', 0, { claims: [claim('data', 100 * Mi)] }));
    assert.ok(first.kind === 'placed');
    for (let seed = 2; seed <= 10; seed++) {
      const again = await new Scheduler(ledger, { seed }).scheduleOne(nodes, task('web', 0, { claims: [claim('data', 100 * Mi)] }));
      assert.ok(again.kind === 'placed');
      assert.equal(again.nodeId, first.nodeId);
    }
    assert.equal((await ledger.list()).length, 1, 'rescheduling reuses the reservation instead of taking a second one');
  });

  it('moves a task when its reserved node can no longer run it, releasing the old reservation', async () => {
    const nodes = [node('a'), node('b')];
    const ledger = await ledgerFor(nodes);
    await ledger.reserve({ holderId: 'web-0', nodeId: 'a', amounts: { cpuMillis: 500, memoryBytes: 256 * Mi, pools: [], attachments: [] } });
    const down = [node('a', { ready: false }), node('b')];
    const result = await new Scheduler(ledger, { seed: 1 }).scheduleOne(down, task('web', 0));
    assert.ok(result.kind === 'placed');
    assert.equal(result.nodeId, 'b');
    assert.deepEqual(
      (await ledger.list()).map((r) => r.nodeId),
      ['b'],
    );
  });
});
