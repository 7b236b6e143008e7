/**
 * ProcessExecutor with real processes: detached start, re-adoption by a new executor instance
 * (agent restart) from the state dir, pid-reuse protection, stop with escalation, logs and exec.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupUnder } from '../harness/cleanup';
import { tempDir } from '../harness/fs-helpers';
import { processGroupMembers } from '../../agent/executors/proc-stat';
import { InvalidTaskSpecError, ProcessExecutor, TaskNotFoundError, TaskNotRunningError, TaskSpec, TaskStartError } from '../../agent/executors';

const MiB = 1024 * 1024;

function spec(taskId: string, command: string[], extra: Partial<TaskSpec> = {}): TaskSpec {
  return {
    taskId,
    app: taskId.replace(/-\d+$/, ''),
    instance: Number(/-(\d+)$/.exec(taskId)?.[1] ?? 0),
    command,
    env: {},
    mounts: [],
    devices: [],
    cpu: 0,
    memoryBytes: 0,
    labels: {},
    ...extra,
  };
}

function pidOf(runtimeId: string): number {
  return Number(runtimeId.replace(/^pid:/, ''));
}

function alive(pid: number): boolean {
  try {
    return !/\)\s+Z\s/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('process executor', function () {
  this.timeout(30_000);
  let dir: string;
  let stateDir: string;
  let ex: ProcessExecutor;
  let vol: string;

  before(() => {
    dir = tempDir('process-exec');
    stateDir = join(dir, 'state');
    vol = join(dir, 'vol');
    mkdirSync(vol);
    ex = new ProcessExecutor({ stateDir });
  });

  after(async () => {
    try {
      for (const t of await new ProcessExecutor({ stateDir }).list()) await ex.remove(t.taskId);
    } finally {
      cleanupUnder(dir);
    }
  });

  it('starts a detached task that finds its volume through BERTH_VOLUME_<NAME> and runs in it', async () => {
    const s = await ex.start(
      spec('pg-0', ['sh', '-c', 'echo started; echo "vol=$BERTH_VOLUME_VAR_LIB_PG pwd=$(pwd) x=$X"; echo data > file; exec sleep 3600'], {
        env: { X: 'y' },
        mounts: [{ hostPath: vol, containerPath: '/var/lib/pg', readOnly: false }],
      }),
    );
    assert.equal(s.state, 'running');
    assert.match(s.runtimeId, /^pid:\d+$/);
    assert.ok(s.startedAt);
    // Its own session: not killed with the agent's process group.
    const stat = readFileSync(`/proc/${pidOf(s.runtimeId)}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    assert.equal(Number(fields[3]), pidOf(s.runtimeId), 'session id is the task pid (setsid)');
    for (let i = 0; i < 100 && !(await ex.logs('pg-0')).includes('vol='); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(await ex.logs('pg-0'), new RegExp(`started\nvol=${vol} pwd=${vol} x=y\n`));
    assert.equal(readFileSync(join(vol, 'file'), 'utf8'), 'data\n');
  });

  it('start is idempotent while the task runs', async () => {
    const first = await ex.status('pg-0');
    const again = await ex.start(spec('pg-0', ['sh', '-c', 'echo other']));
    assert.equal(again.runtimeId, first.runtimeId);
  });

  it('a new executor instance (agent restart) re-adopts the running task from its state dir', async () => {
    const fresh = new ProcessExecutor({ stateDir });
    const tasks = await fresh.list();
    assert.deepEqual(
      tasks.map((t) => [t.taskId, t.state, t.app, t.instance]),
      [['pg-0', 'running', 'pg', 0]],
    );
    const r = await fresh.exec('pg-0', ['sh', '-c', 'echo "$BERTH_TASK_ID in $(pwd)"; cat file; exit 4']);
    assert.equal(r.exitCode, 4);
    assert.equal(r.output, `pg-0 in ${vol}\ndata\n`);
  });

  it('stop sends SIGTERM to the group; the exit code survives (143); stop and exec after it behave', async () => {
    const pid = pidOf((await ex.status('pg-0')).runtimeId);
    await ex.stop('pg-0', 5);
    assert.ok(!alive(pid));
    const s = await new ProcessExecutor({ stateDir }).status('pg-0');
    assert.equal(s.state, 'exited');
    assert.equal(s.exitCode, 143);
    assert.ok(s.finishedAt);
    await ex.stop('pg-0', 5);
    await assert.rejects(ex.exec('pg-0', ['true']), TaskNotRunningError);
    // The wrapper shell reports the signal, like an interactive shell would.
    assert.match(await ex.logs('pg-0', { tail: 2 }), /^vol=.*\nTerminated\n$/);
  });

  it('escalates to SIGKILL when the task ignores SIGTERM, killing its whole process group', async () => {
    const s = await ex.start(spec('stubborn-0', ['sh', '-c', 'trap "" TERM; sleep 3600 & while :; do sleep 0.05; done']));
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    await ex.stop('stubborn-0', 0.5);
    assert.ok(Date.now() - t0 >= 450, 'waited for the grace period');
    assert.ok(!alive(pidOf(s.runtimeId)));
    const after = await ex.status('stubborn-0');
    assert.equal(after.state, 'exited');
    assert.equal(after.exitCode, 137);
    // The background sleep went with it: nothing left in the task's process group.
    assert.deepEqual(processGroupMembers(pidOf(s.runtimeId)), []);
  });

  it('reports the exit code of a task that ended on its own, and restarts it (its output kept)', async () => {
    const first = await ex.start(spec('job-0', ['sh', '-c', 'echo run; exit 7']));
    const done = await ex.waitExit('job-0');
    assert.equal(done.exitCode, 7);
    const second = await ex.start(spec('job-0', ['sh', '-c', 'echo second; exit 0']));
    assert.notEqual(second.runtimeId, first.runtimeId);
    assert.equal((await ex.waitExit('job-0')).exitCode, 0);
    assert.equal(await ex.logs('job-0'), 'run\nsecond\n', 'a restart appends to the output kept');
  });

  it('does not mistake a reused pid for the task (start time differs)', async () => {
    const recordPath = join(stateDir, 'job-0', 'task.json');
    const record = JSON.parse(readFileSync(recordPath, 'utf8')) as Record<string, unknown>;
    // Pretend the kernel reused the pid for a live process — this test runner — started at another time.
    writeFileSync(recordPath, JSON.stringify({ ...record, pid: process.pid, startTicks: 1 }));
    assert.equal((await ex.status('job-0')).state, 'exited');
    await ex.stop('job-0', 0); // must not signal this process
    await ex.remove('job-0');
  });

  it('concurrent starts of one task spawn it once', async () => {
    const results = await Promise.all([1, 2, 3].map(() => ex.start(spec('race-0', ['sleep', '3600']))));
    assert.equal(new Set(results.map((r) => r.runtimeId)).size, 1);
    await ex.remove('race-0');
  });

  it('remove is idempotent and kills a running task', async () => {
    const s = await ex.start(spec('rm-0', ['sleep', '3600']));
    await ex.remove('rm-0');
    await ex.remove('rm-0');
    assert.ok(!alive(pidOf(s.runtimeId)));
    assert.equal((await ex.status('rm-0')).state, 'missing');
    await ex.removeLogs('rm-0'); // the output outlives remove (a restart), until the task is gone for good
    await assert.rejects(ex.logs('rm-0'), TaskNotFoundError);
    await ex.stop('rm-0', 1);
  });

  it('refuses a missing executable, working dir or empty command clearly, leaving nothing', async () => {
    await assert.rejects(ex.start(spec('bad-0', ['no-such-binary-xyz'])), (e: unknown) => e instanceof TaskStartError && /no-such-binary-xyz/.test(e.message));
    await assert.rejects(ex.start(spec('bad-0', ['true'], { workingDir: '/no/such/dir' })), /working directory/);
    await assert.rejects(ex.start(spec('bad-0', [])), InvalidTaskSpecError);
    await assert.rejects(ex.start(spec('../x', ['true'])), InvalidTaskSpecError);
    assert.equal((await ex.status('bad-0')).state, 'missing');
  });

  it('can cap memory with prlimit (RLIMIT_AS) when asked', async () => {
    const capped = new ProcessExecutor({ stateDir: join(dir, 'capped'), memoryLimit: 'rlimit-as' });
    await capped.start(spec('mem-0', ['sh', '-c', 'grep "Max address space" /proc/self/limits'], { memoryBytes: 256 * MiB }));
    assert.equal((await capped.waitExit('mem-0')).exitCode, 0);
    assert.match(await capped.logs('mem-0'), new RegExp(`Max address space\\s+${256 * MiB}\\s+${256 * MiB}\\s+bytes`));
    await capped.remove('mem-0');
  });
});
