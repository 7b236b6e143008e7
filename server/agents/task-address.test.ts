import assert from 'node:assert/strict';
import { runningTask, taskReport } from '../store/test-records';
import { applyContainerAddress } from './task-address';

const task = runningTask;
const report = taskReport;

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
