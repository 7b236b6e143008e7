import { strict as assert } from 'node:assert';
import { describePlacement, RejectionReason, Scheduler, StatusCode } from '..';
import type { NodeInfo } from '../../domain';
import { ledgerFor, node, task } from './fixtures';

const range = { first: 20000, last: 20003 };
const portNode = (id: string): NodeInfo => ({ ...node(id, { pools: [], plugins: [] }), hostPortRange: range });

describe('scheduler: host ports', () => {
  it('names a fixed host port taken on a node as the reason, per node, and places where it is free', async () => {
    const nodes = [portNode('n1'), portNode('n2')];
    const ledger = await ledgerFor(nodes);
    const scheduler = new Scheduler(ledger, { seed: 3 });
    const first = await scheduler.scheduleOne([nodes[0]!], task('pg', 0, { ports: [{ name: 'db', hostPort: 5432 }] }));
    assert.ok(first.kind === 'placed');
    assert.deepEqual(first.reservation.amounts.hostPorts, [{ name: 'db', port: 5432 }]);

    const clone = task('pg-clone', 0, { ports: [{ name: 'db', hostPort: 5432 }] });
    const onlyN1 = await scheduler.scheduleOne([nodes[0]!], clone);
    assert.ok(onlyN1.kind === 'unschedulable');
    assert.equal(onlyN1.reason, RejectionReason.HostPort);
    assert.deepEqual(onlyN1.rejections, [
      { nodeId: 'n1', reason: RejectionReason.HostPort, code: StatusCode.Unschedulable, message: 'host port 5432 (db) in use on node n1' },
    ]);
    assert.deepEqual(describePlacement(onlyN1).slice(1), ['  node n1: host-port — host port 5432 (db) in use on node n1']);

    const elsewhere = await scheduler.scheduleOne(nodes, clone);
    assert.ok(elsewhere.kind === 'placed');
    assert.equal(elsewhere.nodeId, 'n2');
  });

  it('sees the ports its own pass placed: two instances fixing one port land on two nodes', async () => {
    const nodes = [portNode('n1'), portNode('n2'), portNode('n3')];
    const ledger = await ledgerFor(nodes);
    const tasks = [0, 1, 2, 3].map((i) => task('web', i, { ports: [{ name: 'http', hostPort: 8080 }] }));
    const results = await new Scheduler(ledger, { seed: 7, strategy: 'binpack' }).schedule(nodes, tasks);
    const placed = results.filter((r) => r.kind === 'placed');
    assert.equal(placed.length, 3);
    assert.equal(new Set(placed.map((r) => r.kind === 'placed' && r.nodeId)).size, 3);
    for (const r of placed) assert.equal(r.kind === 'placed' && r.reserveAttempts, 1, 'no ledger refusal: the pass knew');
    const last = results[3]!;
    assert.ok(last.kind === 'unschedulable');
    assert.equal(last.reason, RejectionReason.HostPort);
  });

  it('picks dynamic ports at placement, different for each task of a node, until the range is exhausted', async () => {
    const nodes = [portNode('n1')];
    const ledger = await ledgerFor(nodes);
    const tasks = [0, 1, 2].map((i) => task('web', i, { ports: [{ name: 'http' }, { name: 'admin' }] }));
    const results = await new Scheduler(ledger, { seed: 1 }).schedule(nodes, tasks);
    const ports = results.flatMap((r) => (r.kind === 'placed' ? r.reservation.amounts.hostPorts!.map((p) => p.port) : []));
    assert.equal(ports.length, 4);
    assert.equal(new Set(ports).size, 4);
    for (const p of ports) assert.ok(p >= range.first && p <= range.last);
    const third = results[2]!;
    assert.ok(third.kind === 'unschedulable');
    assert.equal(third.reason, RejectionReason.HostPortsExhausted);
    assert.equal(third.rejections[0]!.message, 'host ports 20000-20003 on node n1: 0 free, task needs 2');
  });

  it('keeps a task its picked ports when it is placed again on its node (a roll, a resize)', async () => {
    const nodes = [portNode('n1'), portNode('n2')];
    const ledger = await ledgerFor(nodes);
    const scheduler = new Scheduler(ledger, { seed: 11 });
    const t = task('pg', 0, { ports: [{ name: 'db' }] });
    const first = await scheduler.scheduleOne(nodes, t);
    assert.ok(first.kind === 'placed');
    const held = first.reservation.amounts.hostPorts!;
    for (let i = 0; i < 5; i++) {
      const again = await scheduler.scheduleOne(nodes, { ...t, cpuMillis: 500 + 100 * i, previousPorts: { nodeId: first.nodeId, ports: held } });
      assert.ok(again.kind === 'placed');
      assert.equal(again.nodeId, first.nodeId);
      assert.deepEqual(again.reservation.amounts.hostPorts, held);
    }
  });

  it('asks for the recorded ports first after the reservation was let go', async () => {
    const nodes = [portNode('n1')];
    const ledger = await ledgerFor(nodes);
    const scheduler = new Scheduler(ledger, { seed: 2 });
    const previousPorts = { nodeId: 'n1', ports: [{ name: 'db', port: 20002 }] };
    const result = await scheduler.scheduleOne(nodes, task('pg', 0, { ports: [{ name: 'db' }], previousPorts }));
    assert.ok(result.kind === 'placed');
    assert.deepEqual(result.reservation.amounts.hostPorts, [{ name: 'db', port: 20002 }]);
  });

  it('refuses a task naming a port twice before reserving anything', async () => {
    const nodes = [portNode('n1')];
    const scheduler = new Scheduler(await ledgerFor(nodes));
    await assert.rejects(scheduler.scheduleOne(nodes, task('web', 0, { ports: [{ name: 'a' }, { name: 'a' }] })), /listed twice/);
  });
});
