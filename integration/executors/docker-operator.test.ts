/**
 * The docker runtime's operator tools against a private dockerd: logs followed until the container
 * stops, bounded json-file logs, and an exec session streaming stdout/stderr, stdin and a terminal.
 */
import assert from 'node:assert/strict';
import Docker from 'dockerode';
import { join } from 'node:path';
import { cleanupUnder } from '../harness/cleanup';
import { BUSYBOX_IMAGE, dockerAvailable, type DockerdHandle, skipWithoutDocker, startDockerd } from '../harness/dockerd';
import { tempDir } from '../harness/fs-helpers';
import { DockerExecutor, type ExecSessionOptions, type TaskSpec } from '../../agent/executors';

function spec(taskId: string, command: string[]): TaskSpec {
  return { taskId, app: 'op', instance: 0, image: BUSYBOX_IMAGE, command, env: {}, mounts: [], devices: [], cpu: 0, memoryBytes: 0, labels: {} };
}

describe('docker executor: operator tools', function () {
  this.timeout(120_000);
  let dir: string;
  let dockerd: DockerdHandle | undefined;
  let ex: DockerExecutor;

  before(async function () {
    skipWithoutDocker(this, dockerAvailable());
    dir = tempDir('docker-op');
    dockerd = await startDockerd(join(dir, 'd'));
    ex = new DockerExecutor({ socketPath: dockerd.socket, nodeId: 'node-op', logBounds: { maxBytes: 2 * 1024 * 1024, maxFiles: 2 } });
  });

  after(async () => {
    if (!dir) return;
    try {
      if (ex) for (const t of await ex.list()) await ex.remove(t.taskId);
    } finally {
      if (dockerd) await dockerd.stop();
      cleanupUnder(dir);
    }
  });

  it("follows a container's logs until it stops, with json-file bounds set on the container", async () => {
    await ex.start(spec('follow-0', ['sh', '-c', 'echo one; sleep 1; echo two; sleep 1; echo three']));
    const info = await new Docker({ socketPath: dockerd!.socket }).getContainer('berth-follow-0').inspect();
    assert.deepEqual(info.HostConfig.LogConfig, { Type: 'json-file', Config: { 'max-size': '2m', 'max-file': '2' } });
    let out = '';
    await ex.followLogs(
      'follow-0',
      {},
      async (d) => {
        out += d.toString();
      },
      new AbortController().signal,
    );
    assert.equal(out, 'one\ntwo\nthree\n');
  });

  it('an exec session streams stdout and stderr apart, takes stdin, and reports the exit code', async () => {
    await ex.start(spec('sess-0', ['sleep', '3600']));
    let stdout = '';
    let stderr = '';
    const io = (tty: boolean, stdin: boolean): ExecSessionOptions => ({
      tty,
      stdin,
      onStdout: (d) => {
        stdout += d.toString();
      },
      onStderr: (d) => {
        stderr += d.toString();
      },
    });
    const s = await ex.startExec('sess-0', ['sh', '-c', 'echo out; echo err >&2; exit 3'], io(false, false));
    assert.equal(await s.exit, 3);
    assert.equal(stdout, 'out\n');
    assert.equal(stderr, 'err\n');
    stdout = '';
    const cat = await ex.startExec('sess-0', ['tr', 'a-z', 'A-Z'], io(false, true));
    cat.write(Buffer.from('hello\n'));
    cat.closeStdin();
    assert.equal(await cat.exit, 0);
    assert.equal(stdout, 'HELLO\n');
    stdout = '';
    const tty = await ex.startExec('sess-0', ['tty'], io(true, false));
    assert.equal(await tty.exit, 0);
    assert.match(stdout, /^\/dev\/pts\/\d+\r?\n$/);
  });
});
