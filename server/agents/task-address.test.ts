import assert from 'node:assert/strict';
import type { TaskReport__Output } from '../../proto/berth/generated/berth/agent/v1/TaskReport';
import type { TaskRecord } from '../store/records';
import { applyContainerAddress } from './task-address';

const task = (over: Partial<TaskRecord> = {}): TaskRecord => ({
  id: 'web-0',
  app: 'web',
  instance: 0,
  generation: 1,
  state: 'running',
  restarts: 0,
  updatedAt: '',
  ...over,
});
const report = (over: Partial<TaskReport__Output>): TaskReport__Output => ({
  taskId: 'web-0',
  state: 'running',
  exitCode: 0,
  message: '',
  startedAtMs: '0',
  restarts: 0,
  generation: '1',
  created: [],
  health: '',
  healthMessage: '',
  containerAddress: '',
  ...over,
});

describe('server: a task’s container address from agent reports', () => {
  it('a running report sets it, or clears it when it has none', () => {
    const next = task();
    applyContainerAddress(next, report({ containerAddress: '10.213.0.2' }));
    assert.equal(next.containerAddress, '10.213.0.2');
    applyContainerAddress(next, report({}));
    assert.equal(next.containerAddress, undefined);
  });

  it('a task that no longer runs has none; a preparing report of a running task keeps it', () => {
    const running = task({ containerAddress: '10.213.0.2' });
    applyContainerAddress(running, report({ state: 'preparing' }));
    assert.equal(running.containerAddress, '10.213.0.2');
    const failed = task({ state: 'failed', containerAddress: '10.213.0.2' });
    applyContainerAddress(failed, report({ state: 'failed', containerAddress: '10.213.0.2' }));
    assert.equal(failed.containerAddress, undefined);
  });
});
