/**
 * ProcessExecutor: the whole task, and never two copies. Each task's command starts a child that
 * leaves its process group (setsid) and carries a marker in its argv, so the processes of a task can
 * be counted without trusting the executor's own bookkeeping.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupUnder } from '../harness/cleanup';
import { tempDir } from '../harness/fs-helpers';
import { ProcessExecutor, TaskSpec } from '../../agent/executors';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Live processes whose argv contains `marker`. */
function withMarker(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (/\)\s+Z\s/.test(readFileSync(`/proc/${entry}/stat`, 'utf8'))) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) pids.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return pids;
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !check(); await sleep(20)) if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
}

/** A task whose command leaves a child in a session of its own, marked `marker`, then waits. */
function escaping(taskId: string, marker: string, extra: Partial<TaskSpec> = {}): TaskSpec {
  return {
    taskId,
    app: taskId.replace(/-\d+$/, ''),
    instance: 0,
    // The marker comes from the environment, so only the escaped child's argv holds it (not the wrapper's).
    command: ['sh', '-c', 'setsid sh -c "while :; do sleep 1; done # $MARK" & exec sleep 600'],
    env: { MARK: marker },
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

function sessionOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
}

describe('process executor: the whole task, one copy', function () {
  this.timeout(60_000);
  let dir: string;
  let stateDir: string;
  let ex: ProcessExecutor;
  const marker = (name: string) => `berth-one-copy-${process.pid}-${name}`;

  before(function () {
    dir = tempDir('process-one-copy');
    stateDir = join(dir, 'state');
    ex = new ProcessExecutor({ stateDir });
    if (!ex.cgroups) this.skip(); // the fallback is covered below
  });

  after(async () => {
    try {
      for (const t of await new ProcessExecutor({ stateDir }).list()) await ex.remove(t.taskId);
    } finally {
      cleanupUnder(dir);
    }
  });

  it('stops every process of the task, also children that left its process group', async () => {
    const m = marker('stop');
    const s = await ex.start(escaping('esc-0', m));
    await until('the escaped child', () => withMarker(m).length === 1);
    const [child] = withMarker(m);
    assert.notEqual(sessionOf(child!), sessionOf(pidOf(s.runtimeId)), 'the child left the task session');
    assert.ok(ex.cgroups!.members('esc-0').includes(child!), 'but not its cgroup');
    const t0 = Date.now();
    await ex.stop('esc-0', 5);
    assert.ok(Date.now() - t0 < 4000, 'every process got SIGTERM: no need for the grace period');
    assert.deepEqual(withMarker(m), []);
    assert.deepEqual(ex.cgroups!.members('esc-0'), []);
    assert.equal((await ex.status('esc-0')).state, 'exited');
    await ex.remove('esc-0');
  });

  it('stops with the signal the app asked for', async () => {
    const s = await ex.start({
      ...escaping('int-0', 'x'),
      command: ['sh', '-c', `trap 'echo "got INT" > ${join(dir, 'int')}; exit 0' INT; while :; do sleep 0.1; done`],
      // The task's /tmp is its own: the test's directory (under the host's /tmp) is visible to it as a volume.
      mounts: [{ hostPath: dir, containerPath: '/out', readOnly: false }],
    });
    await sleep(200);
    await ex.stop('int-0', 5, 'SIGINT');
    assert.equal(readFileSync(join(dir, 'int'), 'utf8'), 'got INT\n');
    assert.deepEqual(ex.cgroups!.members('int-0'), []);
    assert.equal((await ex.status('int-0')).exitCode, 0, `${s.runtimeId} exited by its own trap`);
    await ex.remove('int-0');
  });

  it('kill -9 of the recorded pid, then a start: the rest of the old run is stopped first, never two copies', async () => {
    const m = marker('leader');
    const first = await ex.start(escaping('pg-0', m, { stop: { signal: 'SIGTERM', gracePeriodSeconds: 2 } }));
    await until('the escaped child', () => withMarker(m).length === 1);
    const [oldChild] = withMarker(m);
    process.kill(pidOf(first.runtimeId), 'SIGKILL');
    await until('the leader to die', () => !ex.cgroups!.members('pg-0').includes(pidOf(first.runtimeId)));
    const exited = await ex.status('pg-0');
    assert.equal(exited.state, 'exited');
    assert.ok((exited.leftovers ?? 0) >= 1, 'the leftovers are reported');
    assert.equal(withMarker(m).length, 1, 'the old child still runs on (as with a real crash)');

    const second = await ex.start(escaping('pg-0', m, { stop: { signal: 'SIGTERM', gracePeriodSeconds: 2 } }));
    assert.equal(second.state, 'running');
    assert.match(second.message ?? '', /process\(es\) of an earlier run were still running .*stopped them \(SIGTERM, 2 s grace\)/);
    await until('the new child', () => withMarker(m).length === 1 && withMarker(m)[0] !== oldChild);
    await sleep(200);
    assert.equal(withMarker(m).length, 1, 'exactly one copy');
    await ex.remove('pg-0');
    assert.deepEqual(withMarker(m), []);
  });

  it('a restarted agent finds a running task again, with every process of it', async () => {
    const m = marker('restart');
    await ex.start(escaping('adopt-0', m));
    await until('the escaped child', () => withMarker(m).length === 1);
    const fresh = new ProcessExecutor({ stateDir });
    assert.deepEqual(
      (await fresh.list()).filter((t) => t.taskId === 'adopt-0').map((t) => t.state),
      ['running'],
    );
    await fresh.stop('adopt-0', 5);
    assert.deepEqual(withMarker(m), []);
    await fresh.remove('adopt-0');
  });

  it('an agent that crashed between spawn and record: the unrecorded copy is found, and stopped before the task starts again', async () => {
    const m = marker('unrecorded');
    await ex.start(escaping('lost-0', m));
    await until('the escaped child', () => withMarker(m).length === 1);
    const before = withMarker(m)[0];
    // What a crash right after the spawn leaves: processes, a cgroup, no record.
    rmSync(join(stateDir, 'lost-0', 'task.json'));
    const fresh = new ProcessExecutor({ stateDir });
    const listed = (await fresh.list()).find((t) => t.taskId === 'lost-0');
    assert.equal(listed?.state, 'exited');
    assert.ok((listed?.leftovers ?? 0) >= 2, 'wrapper, command and child are found by their cgroup');
    const again = await fresh.start(escaping('lost-0', m));
    assert.match(again.message ?? '', /earlier run/);
    await until('the new child', () => withMarker(m).length === 1 && withMarker(m)[0] !== before);
    await sleep(200);
    assert.equal(withMarker(m).length, 1, 'exactly one copy');
    // And a task the agent is to forget entirely (deleted app) goes with every process.
    rmSync(join(stateDir, 'lost-0', 'task.json'));
    await fresh.stop('lost-0', 1);
    await fresh.remove('lost-0');
    assert.deepEqual(withMarker(m), []);
    assert.equal((await fresh.status('lost-0')).state, 'missing');
  });

  it('a wrapper of a start that was superseded runs nothing', async () => {
    const m = marker('superseded');
    await ex.start(escaping('late-0', m));
    await until('the escaped child', () => withMarker(m).length === 1);
    await ex.remove('late-0');
    // The wrapper of a start the agent lost before it recorded it, arriving after a newer start
    // replaced the token: it joins the cgroup, sees another token, and exits without running the command.
    const again = await ex.start({ ...escaping('late-0', m), command: ['sleep', '600'] });
    const record = JSON.parse(readFileSync(join(stateDir, 'late-0', 'task.json'), 'utf8')) as { env: Record<string, string> };
    const script = readFileSync(`/proc/${pidOf(again.runtimeId)}/cmdline`, 'utf8').split('\0');
    // argv: /bin/sh -c WRAPPER $0 cgroup.procs token token-file exit-file command…
    const args = [...script.slice(0, 5), 'stale-token', ...script.slice(6, 8), 'sh', '-c', `sleep 600 # ${m}`];
    const r = spawnSync(args[0]!, args.slice(1), { env: record.env, timeout: 5000 });
    assert.equal(r.status, 0);
    assert.deepEqual(withMarker(m), [], 'the superseded wrapper ran nothing');
    await ex.remove('late-0');
  });

  it('without cgroups, the process group stands in (and stop still ends it)', async () => {
    const plain = new ProcessExecutor({ stateDir: join(dir, 'plain'), cgroupRoot: false });
    assert.equal(plain.cgroups, undefined);
    const s = await plain.start({ ...escaping('grp-0', 'x'), command: ['sh', '-c', 'sleep 600 & exec sleep 600'] });
    await sleep(100);
    await plain.stop('grp-0', 5);
    assert.equal((await plain.status('grp-0')).state, 'exited');
    assert.equal(readdirSync('/proc').filter((p) => /^\d+$/.test(p) && p === String(pidOf(s.runtimeId))).length, 0);
    await plain.remove('grp-0');
  });
});
