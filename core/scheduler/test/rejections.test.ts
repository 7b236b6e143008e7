import { strict as assert } from 'node:assert';
import { describePlacement, RejectionReason, Scheduler, StatusCode } from '..';
import { claim, Gi, ledgerFor, LOCAL, Mi, node, task } from './fixtures';

describe('scheduler: every rejected node has a named reason', () => {
  it('names one reason per node, with a message, for a task that fits nowhere', async () => {
    const nodes = [
      node('down', { ready: false }),
      node('unregistered'),
      node('wrong-zone', { zone: 'z2' }),
      node('no-plugin', { plugins: [] }),
      node('sick-plugin', { plugins: [{ plugin: LOCAL, healthy: false }] }),
      node('attach-full', { plugins: [{ plugin: LOCAL, healthy: true, maxVolumesPerNode: 1 }] }),
      node('small-cpu', { cpuMillis: 100 }),
      node('small-mem', { memoryBytes: 64 * Mi }),
      node('small-pool', { ssdBytes: 40 * Mi }),
      node('sick-pool', { pools: [{ plugin: LOCAL, pool: 'ssd', capacityBytes: 10 * Gi, healthy: false }] }),
    ];
    const ledger = await ledgerFor(nodes.filter((n) => n.id !== 'unregistered'));
    const t = task('pg', 0, {
      constraints: [{ key: 'zone', operator: 'In', values: ['z1'] }],
      claims: [claim('data', 30 * Mi), claim('wal', 30 * Mi)],
    });
    const result = await new Scheduler(ledger, { seed: 9 }).scheduleOne(nodes, t);
    assert.ok(result.kind === 'unschedulable');
    const byNode = Object.fromEntries(result.rejections.map((r) => [r.nodeId, r]));
    assert.equal(result.rejections.length, nodes.length, 'exactly one rejection per node');
    const expected: Record<string, string> = {
      down: RejectionReason.NodeNotReady,
      unregistered: RejectionReason.NodeNotRegistered,
      'wrong-zone': RejectionReason.Constraint,
      'no-plugin': RejectionReason.PluginMissing,
      'sick-plugin': RejectionReason.PluginUnhealthy,
      'attach-full': RejectionReason.AttachLimit,
      'small-cpu': RejectionReason.InsufficientCpu,
      'small-mem': RejectionReason.InsufficientMemory,
      'small-pool': RejectionReason.StorageFit,
      'sick-pool': RejectionReason.StorageFit,
    };
    for (const [id, reason] of Object.entries(expected)) assert.equal(byNode[id]?.reason, reason, id);
    const known = new Set<string>(Object.values(RejectionReason));
    for (const r of result.rejections) {
      assert.ok(known.has(r.reason), `${r.reason} is a named reason`);
      assert.ok(r.message.length > 0);
    }
    assert.equal(byNode['small-pool']!.message, 'pool ssd has 40Mi free, claims need 2×30Mi');
    assert.equal(byNode['small-pool']!.code, StatusCode.Unschedulable);
    assert.equal(byNode.down!.code, StatusCode.UnschedulableAndUnresolvable);
    assert.equal(byNode['wrong-zone']!.message, 'label zone=z2 does not satisfy zone In [z1]');
    assert.equal(byNode['sick-pool']!.message, 'pool ssd of berth.local is unhealthy (claim data)');
    assert.match(byNode['attach-full']!.message, /allows 1 volumes per node, 1 slots free, task needs 2/);
    assert.match(result.summary, /^0\/10 nodes can run pg-0: /);
    assert.equal(describePlacement(result).length, 1 + nodes.length);
  });

  it('accounts for placements made earlier in the same pass (proposed placements), without ledger conflicts', async () => {
    const nodes = [node('only', { ssdBytes: 250 * Mi })];
    const ledger = await ledgerFor(nodes);
    const tasks = [0, 1, 2].map((i) => task('pg', i, { claims: [claim('data', 100 * Mi)] }));
    const results = await new Scheduler(ledger, { seed: 1 }).schedule(nodes, tasks);
    assert.deepEqual(
      results.map((r) => r.kind),
      ['placed', 'placed', 'unschedulable'],
    );
    for (const r of results) if (r.kind === 'placed') assert.equal(r.reserveAttempts, 1, 'the pass saw its own placements');
    const last = results[2]!;
    assert.ok(last.kind === 'unschedulable');
    assert.equal(last.rejections[0]!.message, 'pool ssd has 50Mi free, claims need 100Mi');
    assert.equal((await ledger.nodeState('only'))!.used.poolBytes.get('berth.local/ssd'), 200 * Mi);
  });

  it('packs or spreads as configured', async () => {
    const nodes = [node('busy'), node('idle')];
    for (const [strategy, expected] of [
      ['binpack', 'busy'],
      ['spread', 'idle'],
    ] as const) {
      const ledger = await ledgerFor(nodes);
      await ledger.reserve({ holderId: 'other', nodeId: 'busy', amounts: { cpuMillis: 2000, memoryBytes: 4 * Gi, pools: [], attachments: [] } });
      const result = await new Scheduler(ledger, { strategy, seed: 5, candidateLimit: 10 }).scheduleOne(nodes, task('web', 0));
      assert.ok(result.kind === 'placed');
      assert.equal(result.nodeId, expected, strategy);
    }
  });

  it('reports an empty cluster and refuses malformed tasks before reserving anything', async () => {
    const ledger = await ledgerFor([]);
    const result = await new Scheduler(ledger).scheduleOne([], task('web', 0));
    assert.ok(result.kind === 'unschedulable');
    assert.equal(result.reason, RejectionReason.NoNodes);
    const nodes = [node('a')];
    await assert.rejects(
      new Scheduler(await ledgerFor(nodes)).scheduleOne(nodes, task('web', 0, { claims: [claim('d', 10), claim('d', 10)] })),
      /claim d is listed twice/,
    );
    assert.throws(() => new Scheduler(ledger, { candidateLimit: 0 }), /candidateLimit/);
  });
});
