/**
 * DockerExecutor against a real, private dockerd started by the test (see harness/dockerd.ts):
 * bind mounts, read-only mounts, raw block devices, limits, re-adoption after an agent restart,
 * idempotency, logs, exec and clear errors.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupUnder } from '../harness/cleanup';
import { BUSYBOX_IMAGE, dockerAvailable, DockerdHandle, skipWithoutDocker, startDockerd } from '../harness/dockerd';
import { tempDir } from '../harness/fs-helpers';
import {
  DockerExecutor,
  ForeignContainerError,
  ImageNotFoundError,
  RuntimeUnavailableError,
  TaskNotRunningError,
  TaskSpec,
  TaskStartError,
} from '../../agent/executors';

const MiB = 1024 * 1024;

function spec(taskId: string, command: string[], extra: Partial<TaskSpec> = {}): TaskSpec {
  return {
    taskId,
    app: taskId.replace(/-\d+$/, ''),
    instance: Number(/-(\d+)$/.exec(taskId)?.[1] ?? 0),
    image: BUSYBOX_IMAGE,
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

describe('docker executor on a private dockerd', function () {
  this.timeout(120_000);
  let dir: string;
  let dockerd: DockerdHandle | undefined;
  let ex: DockerExecutor;
  let loop: string | undefined;

  before(async function () {
    const available = dockerAvailable();
    skipWithoutDocker(this, available);
    dir = tempDir('docker-exec');
    dockerd = await startDockerd(join(dir, 'd'));
    console.log(`      dockerd ready in ${dockerd.timings.readyMs} ms, busybox import ${dockerd.timings.importMs} ms`);
    ex = new DockerExecutor({ socketPath: dockerd.socket, nodeId: 'node-a' });
    // A small raw block device for the device tests.
    const img = join(dir, 'block.img');
    execFileSync('truncate', ['-s', '16M', img]);
    loop = execFileSync('losetup', ['-f', '--show', img], { encoding: 'utf8' }).trim();
  });

  after(async () => {
    if (!dir) return;
    try {
      if (ex) for (const t of await ex.list()) await ex.remove(t.taskId);
    } finally {
      if (dockerd) await dockerd.stop();
      if (loop) spawnSync('losetup', ['-d', loop]);
      cleanupUnder(dir);
    }
  });

  it('bind-mounts a host dir: what the container writes, the host sees', async () => {
    const host = join(dir, 'vol-w');
    mkdirSync(host);
    const s = await ex.start(
      spec('writer-0', ['sh', '-c', 'echo "hello from $BERTH_GREETING" > /data/out.txt'], {
        env: { BERTH_GREETING: 'berth' },
        mounts: [{ hostPath: host, containerPath: '/data', readOnly: false }],
      }),
    );
    assert.ok(s.runtimeId.length >= 12);
    const done = await ex.waitExit('writer-0');
    assert.equal(done.state, 'exited');
    assert.equal(done.exitCode, 0);
    assert.ok(done.finishedAt);
    assert.equal(readFileSync(join(host, 'out.txt'), 'utf8'), 'hello from berth\n');
  });

  it('prepare creates the container without starting it; start runs that one, or a fresh one if the spec changed', async () => {
    const host = join(dir, 'vol-prep');
    mkdirSync(host);
    const prepared = spec('prep-0', ['sh', '-c', 'echo started > /data/out; sleep 60'], {
      mounts: [{ hostPath: host, containerPath: '/data', readOnly: false }],
    });
    await ex.prepare(prepared);
    const before = await ex.status('prep-0');
    assert.equal(before.state, 'exited');
    assert.equal(before.startedAt, undefined, 'a prepared container has not run');
    assert.equal(existsSync(join(host, 'out')), false);
    await ex.prepare(prepared); // idempotent: the same container stays
    assert.equal((await ex.status('prep-0')).runtimeId, before.runtimeId);
    const started = await ex.start(prepared);
    assert.equal(started.state, 'running');
    assert.equal(started.runtimeId, before.runtimeId, 'start reused the prepared container');
    await ex.remove('prep-0');

    // Prepared with one spec, started with another (the volume became read-only): a new container.
    await ex.prepare(prepared);
    const stale = (await ex.status('prep-0')).runtimeId;
    const changed = { ...prepared, mounts: [{ hostPath: host, containerPath: '/data', readOnly: true }] };
    const again = await ex.start(changed);
    assert.notEqual(again.runtimeId, stale);
    assert.equal(again.state, 'running');
    await ex.remove('prep-0');
  });

  it('a read-only mount refuses writes', async () => {
    const host = join(dir, 'vol-ro');
    mkdirSync(host);
    writeFileSync(join(host, 'existing'), 'data\n');
    await ex.start(
      spec('reader-0', ['sh', '-c', 'cat /data/existing; echo x > /data/new'], {
        mounts: [{ hostPath: host, containerPath: '/data', readOnly: true }],
      }),
    );
    const done = await ex.waitExit('reader-0');
    assert.notEqual(done.exitCode, 0);
    const logs = await ex.logs('reader-0');
    assert.match(logs, /^data$/m);
    assert.match(logs, /Read-only file system/);
    assert.ok(!existsSync(join(host, 'new')));
  });

  it('passes a block device: written inside, read back inside and on the host; ":r" refuses writes', async () => {
    assert.ok(loop);
    await ex.start(
      spec('blk-0', ['sh', '-c', 'echo berth-block-data | dd of=/dev/xvdb bs=512 count=1 conv=sync,fsync && dd if=/dev/xvdb bs=512 count=1 | head -c 16'], {
        devices: [{ hostPath: loop, containerPath: '/dev/xvdb', readOnly: false }],
      }),
    );
    const done = await ex.waitExit('blk-0');
    assert.equal(done.exitCode, 0, await ex.logs('blk-0'));
    assert.match(await ex.logs('blk-0'), /berth-block-data/);
    const onHost = execFileSync('dd', [`if=${loop}`, 'bs=512', 'count=1', 'iflag=direct', 'status=none'])
      .subarray(0, 16)
      .toString();
    assert.equal(onHost, 'berth-block-data');

    await ex.start(
      spec('blkro-0', ['sh', '-c', 'dd if=/dev/xvdb bs=512 count=1 | head -c 16; echo; echo y | dd of=/dev/xvdb bs=512 count=1 conv=sync'], {
        devices: [{ hostPath: loop, containerPath: '/dev/xvdb', readOnly: true }],
      }),
    );
    const ro = await ex.waitExit('blkro-0');
    const roLogs = await ex.logs('blkro-0');
    assert.match(roLogs, /berth-block-data/, 'reading a read-only device works');
    assert.notEqual(ro.exitCode, 0, `writing a read-only device must fail:\n${roLogs}`);
    assert.match(roLogs, /Operation not permitted|Permission denied/);
  });

  it('applies cpu and memory limits, labels and restart policy "no"', async () => {
    const s = await ex.start(spec('limits-0', ['sleep', '3600'], { cpu: 0.5, memoryBytes: 64 * MiB, labels: { team: 'storage' } }));
    assert.equal(s.state, 'running');
    const info = await ex.docker.getContainer(s.runtimeId).inspect();
    assert.equal(info.Name, '/berth-limits-0');
    assert.equal(info.HostConfig.Memory, 64 * MiB);
    assert.equal(info.HostConfig.NanoCpus, 500_000_000);
    assert.equal(info.HostConfig.RestartPolicy?.Name, 'no');
    assert.deepEqual(
      {
        task: info.Config.Labels['berth.task'],
        app: info.Config.Labels['berth.app'],
        instance: info.Config.Labels['berth.instance'],
        node: info.Config.Labels['berth.node'],
        team: info.Config.Labels.team,
      },
      { task: 'limits-0', app: 'limits', instance: '0', node: 'node-a', team: 'storage' },
    );
    // The kernel, not just docker's bookkeeping, holds the limit (cgroup v2 or v1).
    const r = await ex.exec('limits-0', ['sh', '-c', 'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes']);
    assert.equal(r.exitCode, 0);
    assert.equal(r.output.trim(), String(64 * MiB));
  });

  it('start is idempotent while running, and restarts an exited task fresh', async () => {
    const first = await ex.status('limits-0');
    const again = await ex.start(spec('limits-0', ['sleep', '3600']));
    assert.equal(again.runtimeId, first.runtimeId);
    const exited = await ex.status('writer-0');
    assert.equal(exited.state, 'exited');
    const restarted = await ex.start(spec('writer-0', ['sh', '-c', 'echo second run; sleep 3600']));
    assert.equal(restarted.state, 'running');
    assert.notEqual(restarted.runtimeId, exited.runtimeId);
  });

  it('concurrent starts of one task create one container, within one executor and across several', async () => {
    // Separate instances do not share the in-process queue: dockerd's unique names arbitrate (409 → adopt).
    const others = [1, 2, 3].map(() => new DockerExecutor({ socketPath: dockerd!.socket, nodeId: 'node-a' }));
    const results = await Promise.all([ex, ex, ...others].map((e) => e.start(spec('race-0', ['sleep', '3600']))));
    assert.equal(new Set(results.map((r) => r.runtimeId)).size, 1);
    assert.ok(results.every((r) => r.state === 'running'));
    await ex.remove('race-0');
  });

  it('a new executor instance (agent restart) re-discovers running tasks from labels alone', async () => {
    const fresh = new DockerExecutor({ socketPath: dockerd!.socket, nodeId: 'node-a' });
    const tasks = await fresh.list();
    const limits = tasks.find((t) => t.taskId === 'limits-0');
    assert.ok(limits, JSON.stringify(tasks));
    assert.equal(limits.state, 'running');
    assert.equal(limits.app, 'limits');
    assert.equal(limits.instance, 0);
    assert.ok(tasks.some((t) => t.taskId === 'reader-0' && t.state === 'exited' && t.exitCode !== 0));
    // Another node's agent on the same dockerd does not adopt them.
    assert.deepEqual(await new DockerExecutor({ socketPath: dockerd!.socket, nodeId: 'node-b' }).list(), []);
  });

  it('exec runs inside the container with its env and returns the exit code', async () => {
    await ex.start(spec('exec-0', ['sleep', '3600'], { env: { PGDATA: '/data/pg' }, workingDir: '/tmp' }));
    const r = await ex.exec('exec-0', ['sh', '-c', 'echo "$PGDATA in $(pwd)"; echo oops >&2; exit 3']);
    assert.equal(r.exitCode, 3);
    assert.match(r.output, /\/data\/pg in \/tmp/);
    assert.match(r.output, /oops/);
  });

  it('logs returns the output, and tail the last lines', async () => {
    await ex.start(spec('logs-0', ['sh', '-c', 'echo err >&2; sleep 0.2; for i in 1 2 3 4 5; do echo line$i; done']));
    await ex.waitExit('logs-0');
    const all = await ex.logs('logs-0');
    assert.match(all, /line1\n[\s\S]*line5\n/);
    assert.match(all, /err/);
    // stdout and stderr travel through separate pipes, so the test orders them with a pause.
    assert.equal(await ex.logs('logs-0', { tail: 2 }), 'line4\nline5\n');
  });

  it('stop and remove are idempotent; exec on a stopped task is refused', async () => {
    await ex.stop('exec-0', 1);
    await ex.stop('exec-0', 1);
    const stopped = await ex.status('exec-0');
    assert.equal(stopped.state, 'exited');
    assert.equal(stopped.exitCode, 137, 'sleep as pid 1 ignores SIGTERM, so docker kills it after the grace period');
    await assert.rejects(ex.exec('exec-0', ['true']), TaskNotRunningError);
    await ex.remove('exec-0');
    await ex.remove('exec-0');
    assert.equal((await ex.status('exec-0')).state, 'missing');
    await ex.stop('never-existed-0', 1);
    await ex.remove('never-existed-0');
    // remove kills a running task too.
    await ex.remove('limits-0');
    assert.equal((await ex.status('limits-0')).state, 'missing');
  });

  it('a missing image is a clear error, and nothing is left behind', async () => {
    const err = await ex.start(spec('noimg-0', ['true'], { image: 'nope:missing' })).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof ImageNotFoundError, String(err));
    assert.equal(err.message, 'image nope:missing not found on this node; build/import it first');
    assert.equal((await ex.status('noimg-0')).state, 'missing');
  });

  it('a missing mount source or executable is a TaskStartError, and nothing is left behind', async () => {
    await assert.rejects(
      ex.start(spec('nosrc-0', ['true'], { mounts: [{ hostPath: join(dir, 'absent'), containerPath: '/data', readOnly: false }] })),
      (e: unknown) => e instanceof TaskStartError && /absent/.test(e.message),
    );
    assert.equal((await ex.status('nosrc-0')).state, 'missing');
    assert.ok(!existsSync(join(dir, 'absent')), 'docker must not create the missing source');
    await assert.rejects(ex.start(spec('noexe-0', ['/no/such/binary'])), (e: unknown) => e instanceof TaskStartError && /no\/such\/binary/.test(e.message));
    assert.equal((await ex.status('noexe-0')).state, 'missing');
  });

  it('never adopts or removes a container it did not create', async () => {
    await dockerd!.docker.createContainer({ name: 'berth-foreign-0', Image: BUSYBOX_IMAGE, Cmd: ['true'] });
    await assert.rejects(ex.start(spec('foreign-0', ['true'])), ForeignContainerError);
    await assert.rejects(ex.remove('foreign-0'), ForeignContainerError);
    await dockerd!.docker.getContainer('berth-foreign-0').remove({ force: true });
  });

  it('rejects unsafe task ids before touching docker', async () => {
    await assert.rejects(ex.start(spec('../etc', ['true'])), /taskId/);
    await assert.rejects(ex.status('a/b'), /taskId/);
  });

  it('an unreachable dockerd is a RuntimeUnavailableError, not a crash', async () => {
    const dead = new DockerExecutor({ socketPath: join(dir, 'no-such.sock') });
    await assert.rejects(dead.list(), (e: unknown) => e instanceof RuntimeUnavailableError && /no-such\.sock/.test(e.message));
    await assert.rejects(dead.start(spec('x-0', ['true'])), RuntimeUnavailableError);
  });

  it('measures create+start+wait through the executor next to bare `docker run --rm -v`', async () => {
    const host = join(dir, 'vol-bench');
    mkdirSync(host);
    const runs = 5;
    const viaExecutor: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < runs; i++) {
      let t = process.hrtime.bigint();
      await ex.start(spec(`bench-${i}`, ['sh', '-c', 'echo hi > /data/x'], { mounts: [{ hostPath: host, containerPath: '/data', readOnly: false }] }));
      const s = await ex.waitExit(`bench-${i}`);
      viaExecutor.push(Number(process.hrtime.bigint() - t) / 1e6);
      assert.equal(s.exitCode, 0);
      await ex.remove(`bench-${i}`);
      t = process.hrtime.bigint();
      const r = spawnSync('docker', ['-H', `unix://${dockerd!.socket}`, 'run', '--rm', '-v', `${host}:/data`, BUSYBOX_IMAGE, 'sh', '-c', 'echo hi > /data/x']);
      bare.push(Number(process.hrtime.bigint() - t) / 1e6);
      assert.equal(r.status, 0, r.stderr?.toString());
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(
      `      executor start+wait median ${median(viaExecutor).toFixed(0)} ms (${viaExecutor.map((x) => x.toFixed(0)).join(', ')}); ` +
        `bare docker run --rm -v median ${median(bare).toFixed(0)} ms (${bare.map((x) => x.toFixed(0)).join(', ')})`,
    );
  });

  it('a second private dockerd runs beside the first and cleans up after itself', async () => {
    const second = await startDockerd(join(dir, 'd2'));
    try {
      const ex2 = new DockerExecutor({ socketPath: second.socket });
      await ex2.start(spec('other-0', ['sh', '-c', 'echo from-second']));
      assert.equal((await ex2.waitExit('other-0')).exitCode, 0);
      assert.equal((await ex.status('other-0')).state, 'missing', 'the daemons share nothing');
    } finally {
      await second.stop();
    }
    assert.ok(!existsSync(join(dir, 'd2')));
    assert.ok(!readFileSync('/proc/mounts', 'utf8').includes(join(dir, 'd2')));
  });
});
