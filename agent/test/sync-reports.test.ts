import assert from 'node:assert/strict';
import type { TaskAssignment__Output } from '../../proto/berth/generated/berth/agent/v1/TaskAssignment';
import { urgentPart, withPendingTasks } from '../sync-reports';

const task = (taskId: string, generation = '1') => ({ taskId, generation }) as TaskAssignment__Output;

describe('agent: task reports sent with each sync', () => {
  it('names every task of the newest desired state and of the one being reconciled, once', () => {
    const reports = withPendingTasks(
      [{ taskId: 'a-0', generation: '1', state: 'running' }],
      [task('a-0'), task('b-0', '2')], // the newest desired state: b-0 just arrived
      [task('a-0'), task('c-0')],
    ); // the one being reconciled: c-0 is being started, though no longer wanted
    assert.deepEqual(
      reports.map((r) => [r.taskId, r.state, r.generation]),
      [
        ['a-0', 'running', '1'],
        ['b-0', 'preparing', '2'],
        ['c-0', 'preparing', '1'],
      ],
    );
  });

  it('lets only what the server acts on cut a long poll short', () => {
    const running = [{ taskId: 'a-0', state: 'running' }];
    assert.equal(urgentPart([...running, { taskId: 'b-0', state: 'preparing' }]), urgentPart(running));
    assert.notEqual(urgentPart([...running, { taskId: 'b-0', state: 'failed' }]), urgentPart(running));
  });
});
