/** Pure parts of the executors: spec validation, docker option mapping, stream demux, log tail. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCreateOptions } from '../docker-spec';
import { demuxDockerStream } from '../docker-stream';
import { InvalidTaskSpecError } from '../errors';
import type { TaskSpec } from '../executor';
import { tailFile } from '../tail-file';
import { validateTaskSpec, volumeEnvName } from '../task-spec';

const base: TaskSpec = {
  taskId: 'pg-0',
  app: 'pg',
  instance: 0,
  image: 'busybox:local',
  command: ['sh', '-c', 'true'],
  env: { A: '1' },
  mounts: [{ hostPath: '/var/lib/berth/pub/v1', containerPath: '/data', readOnly: false }],
  devices: [{ hostPath: '/dev/loop3', containerPath: '/dev/xvdb', readOnly: true }],
  cpu: 0.25,
  memoryBytes: 128 * 1024 * 1024,
  labels: { team: 'db' },
};

function frame(type: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('executors (pure logic)', () => {
  it('maps a task spec to docker options: bind mounts, devices, limits, labels, no restarts', () => {
    const o = toCreateOptions(base, 'busybox:local', { nodeId: 'n1' });
    assert.equal(o.name, 'berth-pg-0');
    assert.deepEqual(o.Env, ['A=1']);
    const { 'berth.spec': specLabel, ...labels } = o.Labels ?? {};
    assert.deepEqual(labels, { team: 'db', 'berth.task': 'pg-0', 'berth.app': 'pg', 'berth.instance': '0', 'berth.node': 'n1' });
    // The spec hash tells a prepared container that still fits from one that does not.
    assert.match(specLabel ?? '', /^[0-9a-f]{32}$/);
    assert.equal(toCreateOptions(base, 'busybox:local', { nodeId: 'n1' }).Labels?.['berth.spec'], specLabel, 'the same spec, the same hash');
    assert.notEqual(toCreateOptions({ ...base, memoryBytes: base.memoryBytes * 2 }, 'busybox:local', { nodeId: 'n1' }).Labels?.['berth.spec'], specLabel);
    assert.notEqual(
      toCreateOptions({ ...base, mounts: [{ ...base.mounts[0]!, readOnly: true }] }, 'busybox:local', { nodeId: 'n1' }).Labels?.['berth.spec'],
      specLabel,
    );
    assert.deepEqual(o.HostConfig?.Mounts, [{ Type: 'bind', Source: '/var/lib/berth/pub/v1', Target: '/data', ReadOnly: false }]);
    assert.deepEqual(o.HostConfig?.Devices, [{ PathOnHost: '/dev/loop3', PathInContainer: '/dev/xvdb', CgroupPermissions: 'r' }]);
    assert.equal(o.HostConfig?.NanoCpus, 250_000_000);
    assert.equal(o.HostConfig?.Memory, 128 * 1024 * 1024);
    assert.deepEqual(o.HostConfig?.RestartPolicy, { Name: 'no' });
    const unlimited = toCreateOptions({ ...base, cpu: 0, memoryBytes: 0, command: [] }, 'x', {});
    assert.equal(unlimited.HostConfig?.NanoCpus, undefined);
    assert.equal(unlimited.HostConfig?.Memory, undefined);
    assert.equal(unlimited.Cmd, undefined, 'empty command means the image default');
  });

  it('gives a container the stop signal and timeout of its spec, and none without a stop policy', () => {
    const o = toCreateOptions({ ...base, stop: { signal: 'SIGINT', gracePeriodSeconds: 90 } }, 'busybox:local', {});
    assert.equal(o.StopSignal, 'SIGINT');
    assert.equal(o.StopTimeout, 90);
    const plain = toCreateOptions(base, 'busybox:local', {});
    assert.equal(plain.StopSignal, undefined);
    assert.equal(plain.StopTimeout, undefined);
    assert.notEqual(o.Labels?.['berth.spec'], plain.Labels?.['berth.spec'], 'a changed stop policy is a changed container');
    for (const stop of [
      { signal: 'SIGKILL', gracePeriodSeconds: 1 },
      { signal: 'SIGTERM', gracePeriodSeconds: -1 },
      { signal: 'SIGTERM', gracePeriodSeconds: 7200 },
    ]) {
      assert.throws(
        () => validateTaskSpec({ ...base, stop } as TaskSpec),
        (e: unknown) => e instanceof InvalidTaskSpecError && /stop\./.test(e.message),
        JSON.stringify(stop),
      );
    }
  });

  it('validates specs with the field at fault', () => {
    const bad: Array<[Partial<TaskSpec>, RegExp]> = [
      [{ taskId: '../x' }, /taskId/],
      [{ taskId: '' }, /taskId/],
      [{ taskId: 'a'.repeat(129) }, /taskId/],
      [{ mounts: [{ hostPath: 'rel', containerPath: '/d', readOnly: false }] }, /mounts\[0\]\.hostPath/],
      [{ mounts: [{ hostPath: '/a:b', containerPath: '/d', readOnly: false }] }, /":"/],
      [{ devices: [{ hostPath: '/dev/x', containerPath: 'dev', readOnly: false }] }, /devices\[0\]\.containerPath/],
      [{ cpu: -1 }, /cpu/],
      [{ memoryBytes: 1.5 }, /memoryBytes/],
      [{ env: { 'A=B': 'x' } }, /env/],
      [{ labels: { 'berth.task': 'x' } }, /reserved/],
      [{ workingDir: 'tmp' }, /workingDir/],
      [{ instance: -1 }, /instance/],
    ];
    for (const [patch, re] of bad) {
      assert.throws(
        () => validateTaskSpec({ ...base, ...patch }),
        (e: unknown) => e instanceof InvalidTaskSpecError && re.test(e.message),
        JSON.stringify(patch),
      );
    }
    validateTaskSpec(base);
  });

  it('names volume env vars after the container path', () => {
    assert.equal(volumeEnvName('BERTH_VOLUME_', '/data'), 'BERTH_VOLUME_DATA');
    assert.equal(volumeEnvName('BERTH_VOLUME_', '/var/lib/pg-data/'), 'BERTH_VOLUME_VAR_LIB_PG_DATA');
    assert.equal(volumeEnvName('BERTH_DEVICE_', '/dev/xvdb'), 'BERTH_DEVICE_DEV_XVDB');
  });

  it('demultiplexes docker frames, keeping the interleaving', () => {
    assert.equal(demuxDockerStream(Buffer.concat([frame(1, 'out1\n'), frame(2, 'err\n'), frame(1, 'out2\n')])), 'out1\nerr\nout2\n');
    assert.equal(demuxDockerStream(Buffer.from('raw tty text\n')), 'raw tty text\n');
    assert.equal(demuxDockerStream(Buffer.alloc(0)), '');
  });

  it('tails a file by lines, across chunk boundaries', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-tail-'));
    try {
      const path = join(dir, 'log');
      const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i}`);
      writeFileSync(path, `${lines.join('\n')}\n`);
      assert.equal(tailFile(path, 2), 'line 19998\nline 19999\n');
      assert.equal(tailFile(path, 0), '');
      assert.equal(tailFile(path).length, lines.join('\n').length + 1);
      writeFileSync(path, 'a\nb'); // no trailing newline
      assert.equal(tailFile(path, 1), 'b');
      assert.equal(tailFile(path, 5), 'a\nb');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
