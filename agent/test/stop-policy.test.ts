import { strict as assert } from 'node:assert';
import type { TaskAssignment__Output } from '../../proto/berth/generated/berth/agent/v1/TaskAssignment';
import { stopPolicyOf } from '../stop-policy';

function assignment(stop: TaskAssignment__Output['stop']): TaskAssignment__Output {
  return { stop } as TaskAssignment__Output;
}

describe('agent: stop policy of an assignment', () => {
  it("takes the server's policy", () => {
    assert.deepEqual(stopPolicyOf(assignment({ signal: 'SIGQUIT', gracePeriodSeconds: 5 })), { signal: 'SIGQUIT', gracePeriodSeconds: 5 });
    assert.deepEqual(stopPolicyOf(assignment({ signal: 'SIGTERM', gracePeriodSeconds: 0 })), { signal: 'SIGTERM', gracePeriodSeconds: 0 });
  });

  it('uses SIGTERM and 30 s when an older server sent none, or for a task it knows nothing of', () => {
    assert.deepEqual(stopPolicyOf(assignment(null)), { signal: 'SIGTERM', gracePeriodSeconds: 30 });
    assert.deepEqual(stopPolicyOf(undefined), { signal: 'SIGTERM', gracePeriodSeconds: 30 });
  });

  it('stops with SIGTERM rather than not at all when the signal is unknown, and bounds the grace period', () => {
    assert.deepEqual(stopPolicyOf(assignment({ signal: 'SIGPWR', gracePeriodSeconds: 10 })), { signal: 'SIGTERM', gracePeriodSeconds: 10 });
    assert.equal(stopPolicyOf(assignment({ signal: 'SIGTERM', gracePeriodSeconds: 1e9 })).gracePeriodSeconds, 3600);
    assert.equal(stopPolicyOf(assignment({ signal: 'SIGTERM', gracePeriodSeconds: -3 })).gracePeriodSeconds, 0);
  });
});
