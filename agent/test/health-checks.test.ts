import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeProbe, type HealthCheck, type HealthProbe } from '../../core/domain';
import { CheckRunner, type ProbeOutcome, type Timers } from '../health/check-runner';
import { HealthMonitor } from '../health/health-monitor';
import { runProbe } from '../health/probes';

/** A clock that moves only when told; timers due are run in order, with the probes' promises settled between. */
class FakeClock implements Timers {
  private t = 0;
  private seq = 0;
  private readonly due = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.due.set(id, { at: this.t + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.due.delete(handle as number);
  }

  get pending(): number {
    return this.due.size;
  }

  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const next = [...this.due.entries()].sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!next || next[1].at > end) break;
      this.due.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

const check = (over: Partial<HealthCheck> = {}): HealthCheck => ({
  probe: { kind: 'exec', command: ['probe'] },
  intervalSeconds: 10,
  timeoutSeconds: 1,
  failureThreshold: 3,
  successThreshold: 1,
  initialDelaySeconds: 0,
  ...over,
});

/** A probe that answers from a script of results and counts its calls with their times. */
function scripted(clock: FakeClock, results: boolean[]): { probe: () => Promise<ProbeOutcome>; calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    probe: async () => {
      calls.push(clock.now());
      const ok = results.length > 1 ? results.shift()! : results[0]!;
      return ok ? { ok: true } : { ok: false, message: `failed at ${calls.length}` };
    },
  };
}

describe('agent: health check scheduling and thresholds', () => {
  it('waits out the initial delay, then probes every interval', async () => {
    const clock = new FakeClock();
    const { probe, calls } = scripted(clock, [true]);
    const runner = new CheckRunner(check({ initialDelaySeconds: 5, intervalSeconds: 10 }), probe, () => {}, clock);
    runner.start();
    await clock.advance(4_999);
    assert.deepEqual(calls, []);
    await clock.advance(30_001);
    assert.deepEqual(calls, [5_000, 15_000, 25_000, 35_000]);
  });

  it('is unknown until successThreshold successes in a row, then healthy; unhealthy after failureThreshold failures in a row', async () => {
    const clock = new FakeClock();
    const { probe } = scripted(clock, [true, false, true, true, false, false, true, false, false, false, true]);
    const states: string[] = [];
    const runner = new CheckRunner(check({ intervalSeconds: 1, successThreshold: 2, failureThreshold: 3 }), probe, (r) => states.push(r.health), clock);
    runner.start();
    const seen: string[] = [];
    for (let i = 0; i < 11; i++) {
      await clock.advance(i === 0 ? 0 : 1_000);
      seen.push(runner.health);
    }
    // ok, fail, ok, ok → healthy; fail, fail, ok (resets) ; fail, fail, fail → unhealthy; ok (1 of 2) stays unhealthy.
    assert.deepEqual(seen, ['unknown', 'unknown', 'unknown', 'healthy', 'healthy', 'healthy', 'healthy', 'healthy', 'healthy', 'unhealthy', 'unhealthy']);
    assert.equal(runner.failure, 'failed at 10');
    // Told of every state move and of every new failure message.
    assert.ok(states.includes('healthy') && states.at(-1) === 'unhealthy');
  });

  it('a probe that throws is a failure with its message', async () => {
    const clock = new FakeClock();
    const runner = new CheckRunner(
      check({ failureThreshold: 1 }),
      async () => {
        throw new Error('task not running');
      },
      () => {},
      clock,
    );
    runner.start();
    await clock.advance(0);
    assert.equal(runner.health, 'unhealthy');
    assert.equal(runner.failure, 'task not running');
  });

  it('stops: no timer is left and a probe that answers after the stop changes nothing', async () => {
    const clock = new FakeClock();
    let release: (o: ProbeOutcome) => void = () => {};
    const runner = new CheckRunner(
      check({ failureThreshold: 1 }),
      () => new Promise((r) => (release = r)),
      () => assert.fail('no change after stop'),
      clock,
    );
    runner.start();
    await clock.advance(0);
    runner.stop();
    release({ ok: false, message: 'late' });
    await clock.advance(60_000);
    assert.equal(clock.pending, 0);
    assert.equal(runner.health, 'unknown');
  });
});

describe('agent: health monitor', () => {
  function monitor(clock: FakeClock, outcome: (taskId: string, check: HealthCheck) => boolean) {
    const liveness: [string, string][] = [];
    let changes = 0;
    const m = new HealthMonitor({
      probeFor: (taskId, c) => async () => (outcome(taskId, c) ? { ok: true } : { ok: false, message: `${describeProbe(c.probe)} failed` }),
      livenessFailed: (taskId, why) => liveness.push([taskId, why]),
      changed: () => changes++,
      timers: clock,
    });
    return { m, liveness, changes: () => changes };
  }

  const ready = check({ probe: { kind: 'exec', command: ['ready'] }, intervalSeconds: 1 });
  const alive = check({ probe: { kind: 'exec', command: ['alive'] }, intervalSeconds: 1, failureThreshold: 2 });

  it('reports readiness per run: unknown at first, healthy once the check passes, unknown again for a new run', async () => {
    const clock = new FakeClock();
    const { m } = monitor(clock, () => true);
    m.track('web-0', '1/t1', { readiness: ready });
    assert.deepEqual(m.report('web-0', true), { health: 'unknown', healthMessage: '' });
    await clock.advance(0);
    assert.equal(m.report('web-0', true).health, 'healthy');
    m.track('web-0', '1/t1', { readiness: ready });
    assert.equal(m.report('web-0', true).health, 'healthy', 'the same run keeps its runners');
    m.track('web-0', '1/t2', { readiness: ready });
    assert.equal(m.report('web-0', true).health, 'unknown');
    assert.equal(m.report('web-0', false).health, '', 'no readiness check: nothing to report');
  });

  it('hands a failing liveness check over once, with why, and keeps the failure after the checks stop', async () => {
    const clock = new FakeClock();
    const { m, liveness } = monitor(clock, (_t, c) => c !== alive);
    m.track('web-0', '1/t1', { readiness: ready, liveness: alive });
    await clock.advance(5_000);
    assert.deepEqual(liveness, [['web-0', 'liveness check failed 2 times in a row (exec alive failed)']]);
    assert.equal(clock.pending, 0, 'the run is over: its checks stopped');
    assert.equal(m.report('web-0', true).healthMessage, 'liveness: exec alive failed');
    m.forget('web-0');
    assert.equal(m.report('web-0', true).healthMessage, '');
  });

  it('keepOnly stops the checks of tasks that no longer run', async () => {
    const clock = new FakeClock();
    const { m } = monitor(clock, () => true);
    m.track('a-0', 'r', { readiness: ready });
    m.track('b-0', 'r', { liveness: alive });
    m.track('c-0', 'r', {});
    assert.equal(clock.pending, 2);
    m.keepOnly(new Set(['a-0']));
    assert.equal(clock.pending, 1);
  });
});

describe('agent: probes', () => {
  let server: Server;
  let port: number;
  let status = 200;
  before(async () => {
    server = createServer((req, res) => {
      res.statusCode = req.url === '/slow' ? 200 : status;
      if (req.url === '/slow') setTimeout(() => res.end(), 2_000);
      else res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const target = {
    address: async () => ({ host: '127.0.0.1' }),
    exec: async (command: readonly string[]) => ({ exitCode: command[0] === 'ok' ? 0 : 2, output: 'not accepting connections\n' }),
  };
  const run = (probe: HealthProbe, timeoutMs = 1_000) => runProbe(probe, target, timeoutMs);

  it('http: 2xx and 3xx pass; other codes, refusals and timeouts fail with what happened', async () => {
    status = 204;
    assert.deepEqual(await run({ kind: 'http', port, path: '/' }), { ok: true });
    status = 302;
    assert.deepEqual(await run({ kind: 'http', port, path: '/' }), { ok: true });
    status = 503;
    assert.deepEqual(await run({ kind: 'http', port, path: '/healthz' }), { ok: false, message: `GET :${port}/healthz answered 503` });
    assert.deepEqual(await run({ kind: 'http', port, path: '/slow' }, 200), { ok: false, message: `GET :${port}/slow did not answer within 0.2 s` });
  });

  it('tcp: a connection passes, a refused one fails', async () => {
    assert.deepEqual(await run({ kind: 'tcp', port }), { ok: true });
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const free = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    assert.deepEqual(await run({ kind: 'tcp', port: free }), { ok: false, message: `TCP :${free}: connection refused` });
  });

  it('exec: exit 0 passes; another code fails with the last line of its output', async () => {
    assert.deepEqual(await run({ kind: 'exec', command: ['ok'] }), { ok: true });
    assert.deepEqual(await run({ kind: 'exec', command: ['pg_isready', '-q'] }), {
      ok: false,
      message: 'exec pg_isready -q exited with code 2: not accepting connections',
    });
  });
});
