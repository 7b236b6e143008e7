import assert from 'node:assert/strict';
import type { AppSpec } from '../../core/manifests';
import { parseManifests } from '../../core/manifests';
import type { AppRecord, TaskRecord } from '../store/records';
import { nextRolloutStep } from './rollout';

const specOf = (extra: string): AppSpec =>
  (parseManifests(`kind: App\nname: web\nspec:\n  runtime: process\n  command: [web]\n  instances: 3\n${extra}`)[0]!.manifest as { spec: AppSpec }).spec;
const withReadiness = specOf('  readiness: { http: { port: 8080 } }\n');
const plain = specOf('');

const app = (spec: AppSpec, generation = 2, stalled?: number): AppRecord => ({
  name: 'web',
  spec,
  generation,
  deleting: false,
  createdAt: '2026-01-01T00:00:00Z',
  ...(stalled !== undefined ? { rolloutStalled: { generation: stalled, message: 'stalled' } } : {}),
});

const task = (instance: number, generation: number, over: Partial<TaskRecord> = {}): TaskRecord => ({
  id: `web-${instance}`,
  app: 'web',
  instance,
  generation,
  state: 'running',
  restarts: 0,
  updatedAt: '2026-01-01T00:00:00Z',
  ...over,
});

const T0 = Date.parse('2026-01-01T01:00:00Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const DEADLINE = 60_000;

describe('server: rolling update steps', () => {
  it('rolls the lowest old instance when every instance on the new generation is ready', () => {
    const step = nextRolloutStep(app(plain), [task(0, 2), task(1, 1), task(2, 1)], T0, DEADLINE);
    assert.equal(step.kind, 'roll');
    assert.equal(step.kind === 'roll' && step.task.id, 'web-1');
    assert.deepEqual(nextRolloutStep(app(plain), [task(0, 2), task(1, 2), task(2, 2)], T0, DEADLINE), { kind: 'done' });
  });

  it('without a readiness check, running is ready; with one, it waits for the check to pass', () => {
    const rolled = { spec: withReadiness, rolledAt: at(0) };
    const tasks = (health: TaskRecord['health']) => [task(0, 2, { ...rolled, ...(health ? { health } : {}) }), task(1, 1), task(2, 1)];
    assert.equal(nextRolloutStep(app(withReadiness), tasks('unknown'), T0 + 1000, DEADLINE).kind, 'wait');
    assert.equal(nextRolloutStep(app(withReadiness), tasks('unhealthy'), T0 + 1000, DEADLINE).kind, 'wait');
    assert.equal(nextRolloutStep(app(withReadiness), tasks(undefined), T0 + 1000, DEADLINE).kind, 'wait');
    assert.equal(nextRolloutStep(app(withReadiness), tasks('healthy'), T0 + 1000, DEADLINE).kind, 'roll');
    // The same task record without a readiness check in its spec: running is enough.
    assert.equal(nextRolloutStep(app(plain), [task(0, 2, { rolledAt: at(0) }), task(1, 1)], T0 + 1000, DEADLINE).kind, 'roll');
  });

  it('looks again when the deadline comes, then stops the rollout and says why', () => {
    const tasks = [
      task(0, 2, { spec: withReadiness, rolledAt: at(0), health: 'unhealthy', healthMessage: 'readiness: GET :8080/ answered 503' }),
      task(1, 1),
      task(2, 1),
    ];
    assert.deepEqual(nextRolloutStep(app(withReadiness), tasks, T0 + 20_000, DEADLINE), { kind: 'wait', recheckInMs: 40_000 });
    const step = nextRolloutStep(app(withReadiness), tasks, T0 + DEADLINE, DEADLINE);
    assert.equal(step.kind, 'stall');
    assert.equal(
      step.kind === 'stall' && step.why,
      "rollout to generation 2 stopped: web-0 was not ready 60 s after the rollout's last step (running, readiness unhealthy; " +
        'last check failure: readiness: GET :8080/ answered 503); 2 instance(s) stay on their older generation until the app is applied again',
    );
    // Once stalled for this generation, nothing more moves, even if the instance becomes ready.
    const ready = [{ ...tasks[0]!, health: 'healthy' as const }, tasks[1]!, tasks[2]!];
    assert.deepEqual(nextRolloutStep(app(withReadiness, 2, 2), ready, T0 + DEADLINE, DEADLINE), { kind: 'done' });
    // A stall of an earlier generation does not hold up a new rollout.
    assert.equal(
      nextRolloutStep(app(withReadiness, 3, 2), [task(0, 3, { spec: withReadiness, rolledAt: at(0), health: 'healthy' }), task(1, 2)], T0, DEADLINE).kind,
      'roll',
    );
  });

  it('counts the deadline from the last roll, and sets none for instances created on the new generation', () => {
    const late = task(0, 2, { spec: withReadiness, rolledAt: at(0), health: 'unhealthy' });
    const recent = task(1, 2, { spec: withReadiness, rolledAt: at(50_000), health: 'healthy' });
    assert.deepEqual(nextRolloutStep(app(withReadiness), [late, recent, task(2, 1)], T0 + 70_000, DEADLINE), { kind: 'wait', recheckInMs: 40_000 });
    assert.deepEqual(nextRolloutStep(app(withReadiness), [task(0, 2, { spec: withReadiness, health: 'unknown' }), task(1, 1)], T0 + 10 * DEADLINE, DEADLINE), {
      kind: 'wait',
    });
  });
});
