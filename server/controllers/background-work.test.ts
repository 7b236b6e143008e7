import assert from 'node:assert/strict';
import { BackgroundWork } from './background-work';

describe('server: background work of the control loop', () => {
  it('runs one step per key at a time, keeps other keys moving while one hangs, and settles', async () => {
    let settled = 0;
    const work = new BackgroundWork(() => {
      settled++;
    });
    let release!: () => void;
    const hung = new Promise<void>((resolve) => {
      release = resolve;
    });
    let hungRuns = 0;
    work.start('provision/a-0', async () => {
      hungRuns++;
      await hung;
    });
    work.start('provision/a-0', async () => {
      hungRuns++;
    }); // still running: not started again
    let otherDone = false;
    work.start('provision/b-0', async () => {
      otherDone = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(otherDone, true, 'a hung step does not hold up another key');
    assert.equal(hungRuns, 1);
    assert.equal(work.isRunning('provision/a-0'), true);
    const settling = work.settle();
    release();
    await settling;
    assert.equal(work.isRunning('provision/a-0'), false);
    assert.equal(settled, 2);
    work.start('provision/c-0', async () => {
      throw new Error('recorded by the step itself');
    });
    await work.settle(); // a failing step neither throws here nor leaves an unhandled rejection
    assert.equal(settled, 3);
  });
});
