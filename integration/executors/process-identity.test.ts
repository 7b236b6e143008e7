/**
 * ProcessExecutor: a task as another user, in its own PID namespace, with a private /tmp; stopped
 * and removed as a whole. The "volume" is a plain directory standing in for a publish target.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupUnder } from '../harness/cleanup';
import { processesWithMarker as withMarker, tempDir } from '../harness/fs-helpers';
import { ProcessExecutor, TaskSpec } from '../../agent/executors';
import { prepareVolumeRoot } from '../../agent/volume-root';
import { shareMountTree } from '../../agent/shared-mount';
import { listMounts } from '../../lib/mounts/mounts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !check(); await sleep(20)) if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
}

describe('process executor: user, PID namespace, private /tmp', function () {
  this.timeout(60_000);
  let dir: string;
  let ex: ProcessExecutor;

  before(function () {
    dir = tempDir('process-identity');
    ex = new ProcessExecutor({ stateDir: join(dir, 'state') });
    if (!ex.namespaces) this.skip();
  });

  after(async () => {
    try {
      for (const t of await ex.list()) await ex.remove(t.taskId);
    } finally {
      cleanupUnder(dir);
    }
  });

  function spec(taskId: string, volume: string, script: string, extra: Partial<TaskSpec> = {}): TaskSpec {
    return {
      taskId,
      app: 'id',
      instance: 0,
      command: ['sh', '-c', script],
      env: { MARK: `berth-identity-${process.pid}-${taskId}` },
      mounts: [{ hostPath: volume, containerPath: '/data', readOnly: false }],
      devices: [],
      cpu: 0,
      memoryBytes: 0,
      labels: {},
      ...extra,
    };
  }

  it('runs as nobody in its own PID namespace with a private /tmp, writing into its fresh volume root', async () => {
    const volume = join(dir, 'publish', 'id-0', 'data');
    mkdirSync(volume, { recursive: true, mode: 0o700 });
    assert.equal(prepareVolumeRoot(volume, { uid: 65534, gid: 65534 }, 4242), true);
    assert.equal(statSync(volume).uid, 65534);
    assert.equal(statSync(volume).gid, 4242);
    assert.equal(statSync(volume).mode & 0o2070, 0o2070, 'fsGroup: group-writable and setgid');
    writeFileSync('/tmp/berth-identity-host-file', 'host');
    const script = [
      'id -u > "$BERTH_VOLUME_DATA/uid"',
      'id -G > "$BERTH_VOLUME_DATA/groups"',
      'echo $$ > "$BERTH_VOLUME_DATA/pid"',
      'tr "\\0" " " < /proc/1/cmdline > "$BERTH_VOLUME_DATA/init"',
      'ls -A /tmp > "$BERTH_VOLUME_DATA/tmp" 2>&1',
      'touch /tmp/mine; echo "$HOME" > "$BERTH_VOLUME_DATA/home"',
      'sleep 600 & sleep 600',
    ].join('; ');
    const s = await ex.start(spec('id-0', volume, script, { user: 'nobody', fsGroup: 4242 }));
    assert.equal(s.state, 'running');
    await until('the task to write', () => {
      try {
        return readFileSync(join(volume, 'home'), 'utf8').length > 0;
      } catch {
        return false;
      }
    });
    assert.equal(readFileSync(join(volume, 'uid'), 'utf8').trim(), '65534');
    assert.ok(readFileSync(join(volume, 'groups'), 'utf8').trim().split(' ').includes('4242'), 'fsGroup is a supplementary group');
    assert.equal(statSync(join(volume, 'uid')).uid, 65534, 'files in the volume belong to the user');
    assert.equal(statSync(join(volume, 'uid')).gid, 4242, 'and to fsGroup (setgid root)');
    const pid = readFileSync(join(volume, 'pid'), 'utf8').trim();
    // The init's own set-up commands took the first few pids.
    assert.ok(Number(pid) < 50, `the command has one of the first pids of its own namespace, not ${pid}`);
    assert.match(readFileSync(join(volume, 'init'), 'utf8'), /berth-init/, "PID 1 is the task's init");
    assert.doesNotMatch(readFileSync(join(volume, 'tmp'), 'utf8'), /berth-identity-host-file/, "the host's /tmp is not visible");
    assert.equal(readFileSync(join(volume, 'home'), 'utf8').trim(), '/nonexistent');
    assert.ok(!readdirSync('/tmp').includes('mine'), "the task's /tmp is its own");
    // A hook runs as the task's user, inside its namespaces.
    const hook = await ex.exec('id-0', ['sh', '-c', 'id -u; ls /tmp; tr "\\0" " " < /proc/1/cmdline; echo; pwd']);
    assert.equal(hook.exitCode, 0, hook.output);
    assert.doesNotMatch(hook.output, /getcwd/);
    assert.ok(hook.output.split('\n').includes(volume), `the hook runs in the task's working directory: ${hook.output}`);
    assert.match(hook.output, /^65534$/m);
    assert.match(hook.output, /mine/);
    assert.match(hook.output, /berth-init/);

    const mark = `berth-identity-${process.pid}-id-0`;
    assert.ok(withMarker(mark).length >= 3, 'init, command and its child run');
    await ex.stop('id-0', 5);
    assert.deepEqual(withMarker(mark), [], 'stop leaves no process');
    assert.equal((await ex.status('id-0')).state, 'exited');
    await ex.remove('id-0');
    assert.equal((await ex.status('id-0')).state, 'missing');
  });

  it('keeps the exit code of a task that handles its stop signal, whichever it is', async () => {
    for (const [signal, code] of [
      ['SIGINT', 0],
      ['SIGQUIT', 3],
      ['SIGHUP', 4],
      ['SIGUSR2', 5],
    ] as const) {
      const name = signal.slice(3).toLowerCase();
      const taskId = `sig-${name}-0`;
      await ex.start(spec(taskId, dir, `trap 'exit ${code}' ${name.toUpperCase()}; while :; do sleep 0.1; done`));
      await sleep(300);
      await ex.stop(taskId, 5, signal);
      const status = await ex.status(taskId);
      assert.equal(status.exitCode, code, `${signal}: exited by its own trap`);
      assert.deepEqual(ex.cgroups?.members(taskId) ?? [], []);
      await ex.remove(taskId);
    }
  });

  it('a task that ignores the stop signal is killed as a whole after the grace period', async () => {
    const mark = `berth-identity-${process.pid}-stubborn-0`;
    await ex.start(spec('stubborn-0', dir, 'trap "" TERM; sh -c "trap \\"\\" TERM; sleep 600" & sleep 600', { env: { MARK: mark } }));
    await until('the task and its child', () => withMarker(mark).length >= 4);
    const t0 = Date.now();
    await ex.stop('stubborn-0', 1);
    assert.ok(Date.now() - t0 >= 1000, 'the grace period was given');
    assert.deepEqual(withMarker(mark), [], 'nothing is left');
    assert.equal((await ex.status('stubborn-0')).exitCode, 137);
    await ex.remove('stubborn-0');
  });

  it("an unmount on the node reaches the namespace of a task started before it (the agent's state directory is shared)", async () => {
    const agentDir = join(dir, 'agent');
    const own = join(agentDir, 'publish', 'a-0', 'data');
    const other = join(agentDir, 'publish', 'b-0', 'data');
    mkdirSync(own, { recursive: true });
    mkdirSync(other, { recursive: true });
    shareMountTree(agentDir);
    shareMountTree(agentDir); // an agent restart: no second bind
    assert.equal(listMounts().filter((m) => m.mountPoint === agentDir).length, 1);
    const agentEx = new ProcessExecutor({ stateDir: join(agentDir, 'processes') });
    const mark = `berth-identity-${process.pid}-a-0`;
    try {
      await agentEx.start(spec('a-0', own, 'sleep 600', { env: { MARK: mark } }));
      const inside = () => {
        const ours = readlinkSync('/proc/self/ns/mnt');
        const pid = withMarker(mark).find((p) => readlinkSync(`/proc/${p}/ns/mnt`) !== ours);
        assert.ok(pid, "a process in the task's mount namespace");
        return readFileSync(`/proc/${pid}/mountinfo`, 'utf8');
      };
      inside();
      // Another task's volume, published and unpublished after the task started.
      const source = `berth-prop-${process.pid}`;
      execFileSync('mount', ['-t', 'tmpfs', source, other]);
      await until('the mount to reach the task', () => inside().includes(source));
      execFileSync('umount', [other]);
      await until('the unmount to reach the task', () => !inside().includes(source));
      assert.ok(!listMounts().some((m) => m.source === source), 'nothing stays mounted on the node');
    } finally {
      await agentEx.remove('a-0');
    }
    assert.deepEqual(withMarker(mark), []);
  });

  it('gives a volume root its owner only while it is empty', () => {
    const volume = join(dir, 'used');
    mkdirSync(volume);
    writeFileSync(join(volume, 'data'), 'x');
    chmodSync(volume, 0o755);
    assert.equal(prepareVolumeRoot(volume, { uid: 65534 }, undefined), false);
    assert.equal(statSync(volume).uid, 0);
    assert.equal(prepareVolumeRoot(volume, undefined, undefined), false);
  });

  it('an unknown user fails the start with the reason, leaving nothing', async () => {
    await assert.rejects(
      ex.start(spec('ghost-0', dir, 'true', { user: 'no-such-user-berth' })),
      /user "no-such-user-berth" does not exist on this node \(getent passwd no-such-user-berth found nothing\)/,
    );
    assert.equal((await ex.status('ghost-0')).state, 'missing');
  });
});
