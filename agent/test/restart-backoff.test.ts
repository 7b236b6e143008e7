import assert from 'node:assert/strict';
import { RestartBackoff } from '../restart-backoff';

const at = (ms: number) => new Date(ms).toISOString();

describe('agent: crash-loop back-off', () => {
  const policy = { initialMs: 1000, maxMs: 8000, resetAfterMs: 60_000 };

  it('doubles the wait after each quick exit, up to the maximum', () => {
    const b = new RestartBackoff(policy);
    let t = 1_000_000;
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      const exit = { startedAt: at(t), finishedAt: at(t + 100) };
      waits.push(b.delayFor('pg-0', exit, t + 100));
      t += 100 + waits[waits.length - 1] + 10;
    }
    assert.deepEqual(waits, [1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it('counts one exit once, however often the reconcile loop sees it, and the wait runs down', () => {
    const b = new RestartBackoff(policy);
    const exit = { startedAt: at(0), finishedAt: at(500) };
    assert.equal(b.delayFor('pg-0', exit, 500), 1000);
    assert.equal(b.delayFor('pg-0', exit, 1200), 300);
    assert.equal(b.delayFor('pg-0', exit, 1600), 0);
    assert.equal(b.failures('pg-0'), 1);
  });

  it('restarts at once after a long healthy run, and tasks do not share a back-off', () => {
    const b = new RestartBackoff(policy);
    b.delayFor('pg-0', { startedAt: at(0), finishedAt: at(10) }, 10);
    b.delayFor('pg-0', { startedAt: at(2000), finishedAt: at(2010) }, 2010);
    assert.equal(b.failures('pg-0'), 2);
    assert.equal(b.delayFor('pg-0', { startedAt: at(5000), finishedAt: at(5000 + 120_000) }, 125_000), 0);
    assert.equal(b.failures('pg-0'), 0);
    assert.equal(b.delayFor('pg-1', { startedAt: at(0), finishedAt: at(10) }, 10), 1000);
  });
});
