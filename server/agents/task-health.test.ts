import assert from 'node:assert/strict';
import { runningTask, taskReport } from '../store/test-records';
import { applyHealth, healthChanged } from './task-health';

const task = runningTask;
const report = taskReport;

describe('server: task health from agent reports', () => {
  it('records readiness of a running task with an event on every change', () => {
    const before = task();
    const next = { ...before };
    assert.deepEqual(applyHealth(before, next, report({ health: 'unknown' })), [['Checking', 'task web-0 runs; waiting for its readiness check']]);
    assert.equal(next.health, 'unknown');
    const ready = { ...next };
    assert.deepEqual(applyHealth(next, ready, report({ health: 'healthy' })), [['Ready', 'task web-0 is ready: its readiness check passes']]);
    const failing = { ...ready };
    const events = applyHealth(ready, failing, report({ health: 'unhealthy', healthMessage: 'readiness: GET :8080/ answered 503' }));
    assert.deepEqual(events, [
      ['NotReady', 'task web-0 is not ready: readiness: GET :8080/ answered 503'],
      ['CheckFailed', 'readiness: GET :8080/ answered 503'],
    ]);
    assert.equal(healthChanged(ready, failing), true);
    const same = { ...failing };
    assert.deepEqual(applyHealth(failing, same, report({ health: 'unhealthy', healthMessage: 'readiness: GET :8080/ answered 503' })), []);
    assert.equal(healthChanged(failing, same), false);
  });

  it('a task that does not run has no readiness, but keeps its last failure (why it was restarted)', () => {
    const before = task({ health: 'healthy', healthMessage: 'liveness: TCP :5432: connection refused' });
    const next = { ...before, state: 'failed' as const };
    assert.deepEqual(applyHealth(before, next, report({ state: 'failed', healthMessage: 'liveness: TCP :5432: connection refused' })), []);
    assert.equal('health' in next, false);
    assert.equal(next.healthMessage, 'liveness: TCP :5432: connection refused');
    const preparing = { ...next };
    applyHealth(next, preparing, report({ state: 'preparing' }));
    assert.equal(preparing.healthMessage, 'liveness: TCP :5432: connection refused', 'a preparing report knows nothing of checks');
  });
});
