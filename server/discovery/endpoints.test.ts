import assert from 'node:assert/strict';
import type { AppSpec } from '../../core/manifests';
import type { AppRecord, TaskRecord } from '../store/records';
import { readyNode } from '../store/test-records';
import { endpointOf } from './endpoints';

const spec = (extra: Partial<AppSpec> = {}) =>
  ({ instances: 2, runtime: 'docker', ports: [{ name: 'db', containerPort: 5432 }], ...extra }) as unknown as AppSpec;
const app = (s: AppSpec): AppRecord => ({ name: 'pg', spec: s, generation: 1, deleting: false, createdAt: '' });
const task = (extra: Partial<TaskRecord> = {}): TaskRecord => ({
  id: 'pg-0',
  app: 'pg',
  instance: 0,
  generation: 1,
  nodeId: 'n1',
  state: 'running',
  restarts: 0,
  hostPorts: [{ name: 'db', port: 20001 }],
  updatedAt: '',
  ...extra,
});
const node = readyNode('n1', [], { address: '10.0.0.5:7422' });
const readiness = { probe: { kind: 'tcp', port: 5432 } } as unknown as AppSpec['readiness'];

describe('server: endpoints derived from task records', () => {
  it('gives a running task its node address and host ports', () => {
    assert.deepEqual(endpointOf(task(), app(spec()), node), {
      app: 'pg',
      instance: 0,
      taskId: 'pg-0',
      nodeId: 'n1',
      address: '10.0.0.5',
      ports: [{ name: 'db', port: 20001 }],
      ready: true,
    });
  });

  it('adds the container address and container ports when the task has one', () => {
    const e = endpointOf(task({ containerAddress: '172.30.0.5' }), app(spec()), node);
    assert.equal(e?.containerAddress, '172.30.0.5');
    assert.deepEqual(e?.ports, [{ name: 'db', port: 20001, containerPort: 5432 }]);
  });

  it('lists only running tasks on a known node', () => {
    for (const state of ['pending', 'placed', 'assigned', 'failed', 'stopping'] as const)
      assert.equal(endpointOf(task({ state }), app(spec()), node), undefined);
    assert.equal(endpointOf(task(), app(spec()), undefined), undefined);
  });

  it('is ready without a readiness check, else only while the check passes (the spec of the task’s generation)', () => {
    const checked = app(spec({ readiness }));
    assert.equal(endpointOf(task(), checked, node)?.ready, false); // no report yet
    assert.equal(endpointOf(task({ health: 'unknown' }), checked, node)?.ready, false);
    assert.equal(endpointOf(task({ health: 'unhealthy' }), checked, node)?.ready, false);
    assert.equal(endpointOf(task({ health: 'healthy' }), checked, node)?.ready, true);
    // A task still on an older generation without the check is ready by that spec.
    assert.equal(endpointOf(task({ spec: spec() }), checked, node)?.ready, true);
  });

  it('is not ready while its node is down (the task still counts as running there)', () => {
    assert.equal(endpointOf(task(), app(spec()), { ...node, state: 'down' })?.ready, false);
  });
});
