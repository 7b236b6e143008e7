import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, openSync, writeSync, closeSync, readSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { decodeBackupResult, decodeRestoreResult } from '../../agent/data-mover-result';
import type { BackupVolumeResult, RestoreVolumeResult } from '../../agent/data-mover-types';
import { serveAgentNode } from '../../agent/node-service';
import { bearerMetadata } from '../../proto/berth/agent-auth';
import { MoverAttachment } from '../../agent/mover-attachment';
import { CsiClient } from '../../volumes/csi-client/client';
import { CsiCallError } from '../../volumes/csi-client/errors';
import { ProcessExecutor } from '../../agent/executors/process';
import { Repository, VolumeEntry } from '../../backup/repository';
import { loadAgentProto } from '../../proto/berth/load';
import type { DataMoverProgress__Output } from '../../proto/berth/generated/berth/agent/v1/DataMoverProgress';
import type { AgentNodeClient } from '../../proto/berth/generated/berth/agent/v1/AgentNode';
import type { VolumeCapability } from '../../proto/csi/types';
import { cleanupUnder } from '../harness/cleanup';
import { sha256File, tempDir } from '../harness/fs-helpers';
import { PluginProcess, startPlugin } from '../harness/plugin-process';
import { waitFor } from '../harness/cluster';

const MiB = 1024 * 1024;
const PASS = 'mover test passphrase';
const mountCap: VolumeCapability = { mount: { fsType: '', mountFlags: [] }, accessMode: { mode: 'SINGLE_NODE_WRITER' } };
const blockCap: VolumeCapability = { block: {}, accessMode: { mode: 'SINGLE_NODE_WRITER' } };

interface Outcome<T> {
  result: T;
  progress: DataMoverProgress__Output[];
}

/** What the server would present to the agent's node service. */
const SERVICE_SECRET = 'data-mover-test-node-service-secret';

/** The result of the final message, decoded as the server does. */
const decoders = {
  BackupVolume: (m: DataMoverProgress__Output) => decodeBackupResult(m.result?.backup),
  RestoreVolume: (m: DataMoverProgress__Output) => decodeRestoreResult(m.result?.restore),
};

/** One streaming mover call: all progress messages and the decoded result, or the gRPC error. */
function call<T>(client: AgentNodeClient, method: 'BackupVolume' | 'RestoreVolume', request: object, cancelAfterFirst = false): Promise<Outcome<T>> {
  return new Promise((resolve, reject) => {
    const md = bearerMetadata(SERVICE_SECRET);
    const stream = method === 'BackupVolume' ? client.BackupVolume(request, md) : client.RestoreVolume(request, md);
    const progress: DataMoverProgress__Output[] = [];
    let result: T | undefined;
    stream.on('data', (m: DataMoverProgress__Output) => {
      progress.push(m);
      if (m.done) result = decoders[method](m) as T;
      if (cancelAfterFirst) stream.cancel();
    });
    stream.on('error', reject);
    stream.on('end', () => (result ? resolve({ result, progress }) : reject(new Error('no result'))));
  });
}

describe('agent data mover: snapshots into the repository and back, on a real btrfs pool', function () {
  this.timeout(300_000);
  let dir: string;
  let plugin: PluginProcess;
  let stateDir: string;
  let repoDir: string;
  const services: { stop(): void }[] = [];
  const clients: Record<'fast' | 'generic', AgentNodeClient> = {} as Record<'fast' | 'generic', AgentNodeClient>;
  let n = 0;
  const attached: { id: string; staging: string; target: string }[] = [];

  before(async () => {
    dir = tempDir('mover');
    plugin = await startPlugin(
      ['local', '--node-id', 'node-a', '--pool', `fast=file:${dir}/fast.img:1G`, '--state-dir', join(dir, 'state')],
      join(dir, 'csi.sock'),
    );
    stateDir = join(dir, 'agent');
    repoDir = join(dir, 'repo');
    await Repository.init(repoDir, PASS);
    const log = pino({ level: 'silent' });
    const executor = new ProcessExecutor({ stateDir: join(dir, 'processes'), logger: log });
    for (const mode of ['fast', 'generic'] as const) {
      const svc = await serveAgentNode('127.0.0.1:0', executor, log, SERVICE_SECRET, {
        csiClientFor: (p) => (p === 'berth.local' ? plugin.client : undefined),
        stateDir,
        forceGenericPath: mode === 'generic',
      });
      services.push(svc);
      clients[mode] = new (loadAgentProto().berth.agent.v1.AgentNode)(`127.0.0.1:${svc.port}`, grpc.credentials.createInsecure());
    }
  });

  after(async () => {
    // Block volumes hold loop devices inside the pool: release everything before the pool goes away.
    for (const a of attached) {
      await c()
        .node('NodeUnpublishVolume', { volumeId: a.id, targetPath: a.target })
        .catch(() => undefined);
      await c()
        .node('NodeUnstageVolume', { volumeId: a.id, stagingTargetPath: a.staging })
        .catch(() => undefined);
    }
    for (const v of (
      await c()
        .controller('ListVolumes', {})
        .catch(() => ({ entries: [] }))
    ).entries) {
      await c()
        .controller('DeleteVolume', { volumeId: v.volume!.volumeId })
        .catch(() => undefined);
    }
    for (const c of Object.values(clients)) c.close();
    for (const s of services) s.stop();
    if (plugin) await plugin.stop();
    cleanupUnder(dir);
  });

  const c = () => plugin.client;
  /** A new volume; unless `empty`, staged and published for the test to write into. */
  async function volume(block = false, mib = 64, empty = false): Promise<{ id: string; path: string }> {
    const created = await c().controller('CreateVolume', {
      name: `v${n++}`,
      capacityRange: { requiredBytes: String(mib * MiB) },
      volumeCapabilities: [block ? blockCap : mountCap],
      parameters: { pool: 'fast' },
    });
    const id = created.volume!.volumeId;
    return empty ? { id, path: '' } : attach(id, block);
  }
  /** Stages and publishes a volume for the test (a restore target only after the mover is done with it). */
  async function attach(id: string, block = false): Promise<{ id: string; path: string }> {
    const target = join(dir, 'targets', id);
    mkdirSync(join(dir, 'targets'), { recursive: true });
    const staging = join(dir, 'staging', id);
    await c().node('NodeStageVolume', { volumeId: id, stagingTargetPath: staging, volumeCapability: block ? blockCap : mountCap });
    await c().node('NodePublishVolume', {
      volumeId: id,
      stagingTargetPath: staging,
      targetPath: target,
      volumeCapability: block ? blockCap : mountCap,
      readonly: false,
    });
    attached.push({ id, staging, target });
    return { id, path: target };
  }
  const snapshot = async (volumeId: string) => (await c().controller('CreateSnapshot', { sourceVolumeId: volumeId, name: `s${n++}` })).snapshot!.snapshotId;
  const backupRequest = (snapshotId: string, sourceVolumeId: string, extra: object = {}) => ({
    operationId: `op${n++}`,
    repository: { location: repoDir, passphrase: PASS },
    volumeName: 'data-0',
    plugin: 'berth.local',
    snapshotId,
    sourceVolumeId,
    block: false,
    sizeBytes: String(64 * MiB),
    parameters: { pool: 'fast' },
    ...extra,
  });
  async function commit(entry: VolumeEntry): Promise<string> {
    const repo = await Repository.open(repoDir, PASS);
    return (await repo.commitManifest({ app: { test: true }, volumes: [entry] })).id;
  }
  const restoreRequest = (backupId: string, volumeId: string, block = false) => ({
    operationId: `op${n++}`,
    repository: { location: repoDir, passphrase: PASS },
    backupId,
    volumeName: 'data-0',
    plugin: 'berth.local',
    volumeId,
    block,
    accessMode: 'SINGLE_NODE_WRITER',
  });
  const checksums = (root: string, names: string[]) => names.map((f) => (existsSync(join(root, f)) ? sha256File(join(root, f)) : 'missing'));

  it('backs up a filesystem snapshot in place (fast path), incrementally, and restores it exactly', async () => {
    const src = await volume();
    const names = Array.from({ length: 20 }, (_, i) => `f${i}.bin`);
    for (const f of names) writeFileSync(join(src.path, f), randomBytes(1 * MiB));
    mkdirSync(join(src.path, 'sub'));
    writeFileSync(join(src.path, 'sub', 'note.txt'), 'hello');
    const full = await call<BackupVolumeResult>(clients.fast, 'BackupVolume', backupRequest(await snapshot(src.id), src.id));
    assert.equal(full.result.path, 'fast');
    assert.equal(full.result.changeDetection, 'full');
    assert.match(full.result.changeMarker, /^\d+$/);
    assert.ok(full.result.entry.stats.bytesRead >= 20 * MiB);
    // Random data does not compress: what the volume stored is what it read, plus a little.
    const stored = full.result.entry.stats.bytesStored ?? 0;
    assert.ok(stored >= 20 * MiB && stored < 21 * MiB, `stored ${stored}`);
    const fullId = await commit(full.result.entry);

    // Change one file of twenty, rename one, delete one, chmod one.
    writeFileSync(join(src.path, 'f3.bin'), randomBytes(1 * MiB));
    renameSync(join(src.path, 'f4.bin'), join(src.path, 'renamed.bin'));
    rmSync(join(src.path, 'f5.bin'));
    chmodSync(join(src.path, 'f6.bin'), 0o600);
    const incr = await call<BackupVolumeResult>(
      clients.fast,
      'BackupVolume',
      backupRequest(await snapshot(src.id), src.id, { parentBackupId: fullId, parentChangeMarker: full.result.changeMarker }),
    );
    assert.equal(incr.result.changeDetection, 'btrfs-generation');
    // The changed file is read; the renamed one may be (correctness first); the other 17 are not.
    assert.ok(incr.result.entry.stats.bytesRead <= 2 * MiB, `incremental read ${incr.result.entry.stats.bytesRead} bytes`);
    assert.ok((incr.result.entry.stats.bytesStored ?? 0) <= 1.1 * MiB, `incremental stored ${incr.result.entry.stats.bytesStored} bytes`);
    assert.ok(incr.progress.length >= 1);
    const incrId = await commit(incr.result.entry);

    // A target a crashed restore had partly written: stale content the restore must remove.
    const half = await volume();
    writeFileSync(join(half.path, 'stale-from-a-crashed-restore'), 'x');
    await c().node('NodeUnpublishVolume', { volumeId: half.id, targetPath: half.path });
    await c().node('NodeUnstageVolume', { volumeId: half.id, stagingTargetPath: join(dir, 'staging', half.id) });
    const restored = await call<RestoreVolumeResult>(clients.fast, 'RestoreVolume', restoreRequest(incrId, half.id));
    const dst = await attach(half.id);
    assert.equal(restored.result.files, 20); // 20 + sub/note.txt − the deleted f5.bin
    const now = [...names.filter((f) => f !== 'f4.bin' && f !== 'f5.bin'), 'renamed.bin', 'sub/note.txt'];
    assert.deepEqual(checksums(dst.path, now), checksums(src.path, now));
    assert.equal(existsSync(join(dst.path, 'f5.bin')), false, 'deleted file is not restored');
    assert.equal(existsSync(join(dst.path, 'stale-from-a-crashed-restore')), false, 'the target ends with exactly the backed-up tree');
    assert.equal(statSync(join(dst.path, 'f6.bin')).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(join(stateDir, 'mover')), [], 'nothing left attached');
  });

  it('backs up a block volume reading only the ranges written since the parent', async () => {
    const src = await volume(true, 32);
    const dev = src.path;
    const write = (offset: number, data: Buffer) => {
      const fd = openSync(dev, 'r+');
      writeSync(fd, data, 0, data.length, offset);
      closeSync(fd);
    };
    write(0, randomBytes(8 * MiB));
    const req = (snap: string, extra: object = {}) => backupRequest(snap, src.id, { block: true, sizeBytes: String(32 * MiB), ...extra });
    const full = await call<BackupVolumeResult>(clients.fast, 'BackupVolume', req(await snapshot(src.id)));
    const fullId = await commit(full.result.entry);
    for (const off of [1 * MiB, 5 * MiB + 8192, 20 * MiB]) write(off, randomBytes(4096));
    const incr = await call<BackupVolumeResult>(
      clients.fast,
      'BackupVolume',
      req(await snapshot(src.id), { parentBackupId: fullId, parentChangeMarker: full.result.changeMarker }),
    );
    assert.equal(incr.result.changeDetection, 'btrfs-generation');
    assert.ok(incr.result.entry.stats.bytesRead <= 1 * MiB, `incremental read ${incr.result.entry.stats.bytesRead} bytes of a 32 MiB volume`);
    const incrId = await commit(incr.result.entry);
    const empty = await volume(true, 32, true);
    await call<RestoreVolumeResult>(clients.fast, 'RestoreVolume', restoreRequest(incrId, empty.id, true));
    const dst = await attach(empty.id, true);
    assert.equal(sha256File(dst.path), sha256File(src.path));
  });

  it('a range the guest discarded between two backups restores as zeros, not as the older data', async () => {
    const src = await volume(true, 32);
    const dev = src.path;
    const fd = openSync(dev, 'r+');
    writeSync(fd, randomBytes(8 * MiB), 0, 8 * MiB, 0);
    closeSync(fd);
    const req = (snap: string, extra: object = {}) => backupRequest(snap, src.id, { block: true, sizeBytes: String(32 * MiB), ...extra });
    const full = await call<BackupVolumeResult>(clients.fast, 'BackupVolume', req(await snapshot(src.id)));
    assert.ok(
      full.result.entry.stats.bytesRead < 12 * MiB,
      `a full backup reads the written 8 MiB, not the 32 MiB image's holes (read ${full.result.entry.stats.bytesRead})`,
    );
    const fullId = await commit(full.result.entry);
    // TRIM, as a filesystem on the volume does for freed blocks: the loop device punches a hole in the
    // image, and btrfs (no-holes) lists no extent written for it.
    execFileSync('blkdiscard', ['-o', String(2 * MiB), '-l', String(2 * MiB), dev]);
    const incr = await call<BackupVolumeResult>(
      clients.fast,
      'BackupVolume',
      req(await snapshot(src.id), { parentBackupId: fullId, parentChangeMarker: full.result.changeMarker }),
    );
    assert.equal(incr.result.changeDetection, 'btrfs-generation');
    const incrId = await commit(incr.result.entry);
    const empty = await volume(true, 32, true);
    await call<RestoreVolumeResult>(clients.fast, 'RestoreVolume', restoreRequest(incrId, empty.id, true));
    const dst = await attach(empty.id, true);
    assert.equal(sha256File(dst.path), sha256File(src.path));
    const discarded = Buffer.alloc(2 * MiB);
    const rfd = openSync(dst.path, 'r');
    readSync(rfd, discarded, 0, discarded.length, 2 * MiB);
    closeSync(rfd);
    assert.ok(
      discarded.every((b) => b === 0),
      'the discarded range is zeros',
    );
  });

  it('a temporary volume whose CreateVolume answer was lost (deadline) is found by its name and deleted', async () => {
    const src = await volume();
    const snap = await snapshot(src.id);
    // The real plugin behind a transport that loses the first CreateVolume answer: the volume exists, the caller has no id.
    let lost = false;
    const lossy = new CsiClient('lossy berth.local', {
      transport: async (path, request, timeoutMs) => {
        const response = await c().callSerialized(path, request, timeoutMs);
        if (path.endsWith('/CreateVolume') && !lost) {
          lost = true;
          throw new CsiCallError('lossy berth.local', 'CreateVolume', grpc.status.DEADLINE_EXCEEDED, 'answer lost');
        }
        return response;
      },
    });
    const count = async () => (await c().controller('ListVolumes', {})).entries.length;
    const before = await count();
    const attachment = new MoverAttachment(join(dir, 'mover-lost'), lossy, 'berth.local', 'berth-mover-lost-0');
    await assert.rejects(
      attachment.create({
        name: 'berth-mover-lost-0',
        capacityRange: { requiredBytes: String(64 * MiB) },
        volumeCapabilities: [mountCap],
        parameters: { pool: 'fast' },
        volumeContentSource: { snapshot: { snapshotId: snap } },
      }),
      /answer lost/,
    );
    assert.equal(await count(), before + 1, 'the plugin made the volume');
    // Its snapshot goes away meanwhile (the server dropped the recovery point of the failed backup).
    await c().controller('DeleteSnapshot', { snapshotId: snap });
    await attachment.detach();
    assert.equal(await count(), before, 'found again by its name and deleted');
  });

  it('reads any driver through a temporary volume from the snapshot (generic path), leaving nothing behind', async () => {
    const src = await volume();
    writeFileSync(join(src.path, 'a.bin'), randomBytes(3 * MiB));
    const before = (await c().controller('ListVolumes', {})).entries.length;
    const res = await call<BackupVolumeResult>(clients.generic, 'BackupVolume', backupRequest(await snapshot(src.id), src.id));
    assert.equal(res.result.path, 'generic');
    const id = await commit(res.result.entry);
    assert.equal((await c().controller('ListVolumes', {})).entries.length, before, 'the temporary volume is deleted');
    assert.deepEqual(readdirSync(join(stateDir, 'mover')), []);
    const empty = await volume(false, 64, true);
    await call<RestoreVolumeResult>(clients.generic, 'RestoreVolume', restoreRequest(id, empty.id));
    const dst = await attach(empty.id);
    assert.equal(sha256File(join(dst.path, 'a.bin')), sha256File(join(src.path, 'a.bin')));
  });

  it('a backup cancelled mid-way (the server went away) leaves no temporary volume and nothing attached', async () => {
    const src = await volume();
    for (let i = 0; i < 40; i++) writeFileSync(join(src.path, `f${i}.bin`), randomBytes(1 * MiB));
    const snap = await snapshot(src.id);
    const before = (await c().controller('ListVolumes', {})).entries.length;
    await assert.rejects(
      call(clients.generic, 'BackupVolume', backupRequest(snap, src.id), true),
      (e: unknown) => (e as grpc.ServiceError).code === grpc.status.CANCELLED,
    );
    await waitFor(
      'the mover cleaned up',
      async () => (await c().controller('ListVolumes', {})).entries.length === before && readdirSync(join(stateDir, 'mover')).length === 0,
      30_000,
    ).catch(async (e: unknown) => {
      throw new Error(
        `${String(e)}: volumes ${(await c().controller('ListVolumes', {})).entries.length} (before ${before}), mover dir ${JSON.stringify(readdirSync(join(stateDir, 'mover')))}`,
      );
    });
    const repo = await Repository.open(repoDir, PASS);
    assert.deepEqual(
      (await repo.check()).problems.filter((p) => p.severity === 'error'),
      [],
      'the repository stays sound',
    );
  });

  it('refuses a second call on the same operation and volume while the first runs (they would share one mount)', async () => {
    const src = await volume();
    for (let i = 0; i < 30; i++) writeFileSync(join(src.path, `f${i}.bin`), randomBytes(1 * MiB));
    const request = backupRequest(await snapshot(src.id), src.id);
    const first = call<BackupVolumeResult>(clients.generic, 'BackupVolume', request);
    await waitFor(
      'the first call attached its temporary volume',
      () => existsSync(join(stateDir, 'mover')) && readdirSync(join(stateDir, 'mover')).length === 1,
      30_000,
    );
    await assert.rejects(call(clients.generic, 'BackupVolume', request), (e: unknown) => (e as grpc.ServiceError).code === grpc.status.ABORTED);
    const done = await first;
    assert.ok(done.result.entry.stats.bytesRead >= 30 * MiB, 'the first call read everything');
    assert.deepEqual(readdirSync(join(stateDir, 'mover')), [], 'nothing left attached');
  });

  it('refuses bad input with precise statuses and creates nothing', async () => {
    const src = await volume();
    const snap = await snapshot(src.id);
    const before = (await c().controller('ListVolumes', {})).entries.length;
    const code = async (p: Promise<unknown>) => {
      try {
        await p;
        return 'ok';
      } catch (e) {
        return grpc.status[(e as grpc.ServiceError).code];
      }
    };
    assert.equal(
      await code(call(clients.generic, 'BackupVolume', { ...backupRequest(snap, src.id), repository: { location: repoDir, passphrase: 'wrong' } })),
      'FAILED_PRECONDITION',
    );
    assert.equal(await code(call(clients.generic, 'BackupVolume', backupRequest('../x', src.id))), 'INVALID_ARGUMENT');
    assert.equal(await code(call(clients.generic, 'BackupVolume', { ...backupRequest(snap, src.id), plugin: 'vendor.csi' })), 'NOT_FOUND');
    assert.equal(await code(call(clients.fast, 'RestoreVolume', restoreRequest('20990101T000000Z-00000000', src.id))), 'NOT_FOUND');
    assert.equal((await c().controller('ListVolumes', {})).entries.length, before);
    assert.deepEqual(readdirSync(join(stateDir, 'mover')), []);
  });
});
