import assert from 'node:assert/strict';
import { type QueueTimers, WorkQueue } from './work-queue';

/** A clock the test moves by hand: timers fire only in `advance`. */
class FakeClock implements QueueTimers {
  private time = 0;
  private nextId = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.nextId;
    this.pending.set(id, { at: this.time + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** Timers due within `ms`, in order. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = [...this.pending.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
    }
    this.time = until;
  }
  get timers(): number {
    return this.pending.size;
  }
}

/** Lets queued microtasks and promise chains run. */
const flush = () => new Promise<void>((r) => setImmediate(r));

/** A handler whose calls stay open until the test settles them. */
function gatedHandler() {
  const calls: string[] = [];
  const open = new Map<string, { resolve: () => void; reject: (e: Error) => void }[]>();
  let running = 0;
  let maxRunning = 0;
  const handler = (key: string) =>
    new Promise<void>((resolve, reject) => {
      calls.push(key);
      running++;
      maxRunning = Math.max(maxRunning, running);
      const done = (fn: () => void) => () => {
        running--;
        fn();
      };
      open.set(key, [...(open.get(key) ?? []), { resolve: done(resolve), reject: (e) => done(() => reject(e))() }]);
    });
  const settle = (key: string, error?: Error) => {
    const list = open.get(key);
    const first = list?.shift();
    if (!first) throw new Error(`no open call for ${key}`);
    if (error) first.reject(error);
    else first.resolve();
  };
  return { handler, calls, settle, running: () => running, maxRunning: () => maxRunning };
}

describe('controller runtime: work queue', () => {
  it('queues a key added many times while it waits once', async () => {
    const h = gatedHandler();
    const q = new WorkQueue(h.handler, { concurrency: 1 });
    q.add('a'); // occupies the only worker
    await flush();
    q.add('b');
    q.add('b');
    q.add('b');
    h.settle('a');
    await flush();
    h.settle('b');
    await q.idle();
    assert.deepEqual(h.calls, ['a', 'b']);
  });

  it('never processes one key twice at once; added while processed, it is processed once more after', async () => {
    const h = gatedHandler();
    const q = new WorkQueue(h.handler, { concurrency: 4 });
    q.add('a');
    await flush();
    q.add('a');
    q.add('a');
    await flush();
    assert.equal(h.running(), 1, 'the second add waits for the first run');
    h.settle('a');
    await flush();
    assert.deepEqual(h.calls, ['a', 'a'], 'processed again after, once');
    h.settle('a');
    await q.idle();
    assert.equal(h.maxRunning(), 1);
    assert.deepEqual(h.calls, ['a', 'a']);
  });

  it('processes distinct keys up to the concurrency limit, in the order they were added', async () => {
    const h = gatedHandler();
    const q = new WorkQueue(h.handler, { concurrency: 2 });
    for (const k of ['a', 'b', 'c', 'd']) q.add(k);
    await flush();
    assert.deepEqual(h.calls, ['a', 'b']);
    h.settle('b');
    await flush();
    assert.deepEqual(h.calls, ['a', 'b', 'c']);
    h.settle('a');
    h.settle('c');
    await flush();
    h.settle('d');
    await q.idle();
    assert.deepEqual(h.calls, ['a', 'b', 'c', 'd']);
    assert.equal(h.maxRunning(), 2);
  });

  it('retries a failing key with a back-off that doubles up to the maximum, and resets it on success', async () => {
    const clock = new FakeClock();
    const errors: { failures: number; retryInMs: number }[] = [];
    let failNext = 4;
    const calls: number[] = [];
    const q = new WorkQueue(
      async () => {
        calls.push(clock.now());
        if (failNext-- > 0) throw new Error('not yet');
      },
      { baseDelayMs: 100, maxDelayMs: 500, timers: clock, onError: (_k, _e, failures, retryInMs) => errors.push({ failures, retryInMs }) },
    );
    q.add('a');
    await flush();
    for (const step of [100, 200, 400, 500]) {
      assert.equal(calls.length, errors.length, 'no retry before its time');
      clock.advance(step - 1);
      await flush();
      assert.equal(calls.length, errors.length, `not retried before ${step} ms`);
      clock.advance(1);
      await flush();
    }
    assert.deepEqual(
      errors.map((e) => e.retryInMs),
      [100, 200, 400, 500].slice(0, errors.length),
    );
    assert.deepEqual(
      errors.map((e) => e.failures),
      [1, 2, 3, 4],
    );
    assert.equal(calls.length, 5, 'the fifth attempt succeeded');
    assert.equal(q.failures('a'), 0, 'success resets the back-off');
    assert.equal(clock.timers, 0, 'no retry left after the success');
    failNext = 1;
    q.add('a');
    await flush();
    assert.equal(errors[errors.length - 1]!.retryInMs, 100, 'after a success the back-off starts again at its base');
    q.forget('a');
    assert.equal(q.failures('a'), 0);
    await q.shutDown();
  });

  it('processes a key waiting out a back-off at once when it is added again (something changed)', async () => {
    const clock = new FakeClock();
    let fail = true;
    let calls = 0;
    const q = new WorkQueue(
      async () => {
        calls++;
        if (fail) throw new Error('no');
      },
      { baseDelayMs: 10_000, timers: clock },
    );
    q.add('a');
    await flush();
    assert.equal(q.size.delayed, 1);
    fail = false;
    q.add('a');
    await q.idle();
    assert.equal(calls, 2);
    assert.equal(q.size.delayed, 0, 'the pending retry is cancelled');
    assert.equal(clock.timers, 0);
  });

  it('addAfter keeps the earlier of two delays', async () => {
    const clock = new FakeClock();
    const calls: number[] = [];
    const q = new WorkQueue(
      async () => {
        calls.push(clock.now());
      },
      { timers: clock },
    );
    q.addAfter('a', 500);
    q.addAfter('a', 200);
    q.addAfter('a', 900);
    clock.advance(199);
    await flush();
    assert.deepEqual(calls, []);
    clock.advance(1);
    await q.idle();
    assert.deepEqual(calls, [200]);
    clock.advance(1000);
    await flush();
    assert.deepEqual(calls, [200], 'the later delays were dropped');
  });

  it('shutDown stops taking work, drops what waits, and resolves only when the running keys finish', async () => {
    const clock = new FakeClock();
    const h = gatedHandler();
    const q = new WorkQueue(h.handler, { concurrency: 1, timers: clock });
    q.add('a');
    q.add('b');
    q.addAfter('c', 100);
    await flush();
    let done = false;
    const stopping = q.shutDown().then(() => {
      done = true;
    });
    await flush();
    assert.equal(done, false, 'waits for the running key');
    q.add('d');
    h.settle('a');
    await stopping;
    clock.advance(1000);
    await flush();
    assert.deepEqual(h.calls, ['a'], 'nothing after the shutdown: queued, delayed and new keys are dropped');
    assert.equal(clock.timers, 0);
  });

  it('a key whose handler throws synchronously is retried like any failure', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const q = new WorkQueue(
      (_key: string) => {
        calls++;
        if (calls === 1) throw new Error('sync throw');
        return Promise.resolve();
      },
      { baseDelayMs: 50, timers: clock },
    );
    q.add('a');
    await flush();
    assert.equal(q.failures('a'), 1);
    clock.advance(50);
    await q.idle();
    assert.equal(calls, 2);
    assert.equal(q.size.processing, 0);
  });
});
