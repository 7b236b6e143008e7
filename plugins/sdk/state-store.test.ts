import { GRPC_STATUS } from '../../lib/errors/grpc-status';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { createLogger } from '../../lib/logging/logger';
import { CsiError } from './errors';
import { OperationLocks } from './locks';
import { SnapshotRecordBase, snapshotRpcs } from './snapshots';
import { findByName, recordsOfVolume, StateStore } from './state-store';

interface Vol {
  id: string;
  name: string;
  capacityBytes: number;
}
interface Pub {
  volumeId: string;
  targetPath: string;
}
interface Snap extends SnapshotRecordBase {
  pool: string;
}

class TestState extends StateStore {
  counter = this.loadedValue<number>('counter') ?? 1;
  readonly volumes = this.table<Vol>('volumes', (v) => v.id);
  readonly snapshots = this.table<Snap>('snapshots', (s) => s.id);
  readonly publications = this.table<Pub>('publications', (p) => p.targetPath);
  constructor(file: string) {
    super(file);
  }
  protected override values(): Record<string, unknown> {
    return { counter: this.counter };
  }
}

const code = (expected: status) => (e: unknown) => e instanceof CsiError && GRPC_STATUS[e.code] === expected;

describe('plugin sdk: state store and snapshot RPCs', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-sdk-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('saves tables and values as one versioned document and reads them back keyed', () => {
    const file = join(dir, 'state', 'state.json');
    const a = new TestState(file);
    a.volumes.set('v1', { id: 'v1', name: 'one', capacityBytes: 10 });
    a.publications.set('/t/1', { volumeId: 'v1', targetPath: '/t/1' });
    a.publications.set('/t/2', { volumeId: 'v1', targetPath: '/t/2' });
    a.counter = 7;
    a.save();
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(file, 'utf8'))), ['version', 'counter', 'volumes', 'snapshots', 'publications']);
    const b = new TestState(file);
    assert.equal(b.counter, 7);
    assert.equal(findByName(b.volumes, 'one')?.id, 'v1');
    assert.deepEqual(
      recordsOfVolume(b.publications, 'v1').map((p) => p.targetPath),
      ['/t/1', '/t/2'],
    );
    assert.equal(b.snapshots.size, 0);
  });

  it('refuses a document of another version rather than misreading it', () => {
    const file = join(dir, 'state.json');
    writeFileSync(file, JSON.stringify({ version: 2, volumes: [] }));
    assert.throws(() => new TestState(file), /unsupported state version 2/);
  });

  it('answers CreateSnapshot retries by name, rolls a failed copy back, and deletes and looks up by id shape', async () => {
    const state = new TestState(join(dir, 'state.json'));
    state.volumes.set('vol-1', { id: 'vol-1', name: 'one', capacityBytes: 100 });
    let failNext = false;
    const taken: string[] = [];
    const destroyed: string[] = [];
    let n = 0;
    const rpcs = snapshotRpcs<Snap, Vol>({
      locks: new OperationLocks(),
      log: createLogger('test', 'silent'),
      store: () => state,
      idPattern: /^snap-\d+$/,
      newId: () => `snap-${++n}`,
      volume: (id) => {
        const v = state.volumes.get(id);
        if (!v) throw new CsiError('not_found', `volume ${id} not found`);
        return v;
      },
      plan: (v) => ({
        record: (base) => ({ ...base, pool: 'p' }),
        take: async (s) => {
          if (failNext) throw new Error('copy failed');
          taken.push(`${v.id}->${s.id}`);
        },
      }),
      destroy: async (s) => {
        destroyed.push(s.id);
        state.snapshots.delete(s.id);
        state.save();
      },
    });
    const first = await rpcs.CreateSnapshot({ name: 's', sourceVolumeId: 'vol-1', secrets: {}, parameters: {} });
    assert.equal(first.snapshot?.snapshotId, 'snap-1');
    assert.equal(first.snapshot?.sizeBytes, '100');
    assert.equal(state.snapshots.get('snap-1')?.pool, 'p');
    const again = await rpcs.CreateSnapshot({ name: 's', sourceVolumeId: 'vol-1', secrets: {}, parameters: {} });
    assert.equal(again.snapshot?.snapshotId, 'snap-1');
    assert.deepEqual(taken, ['vol-1->snap-1']);
    await assert.rejects(rpcs.CreateSnapshot({ name: 's', sourceVolumeId: 'vol-2', secrets: {}, parameters: {} }), code(status.ALREADY_EXISTS));
    await assert.rejects(rpcs.CreateSnapshot({ name: 't', sourceVolumeId: 'vol-2', secrets: {}, parameters: {} }), code(status.NOT_FOUND));
    failNext = true;
    await assert.rejects(rpcs.CreateSnapshot({ name: 'u', sourceVolumeId: 'vol-1', secrets: {}, parameters: {} }), /copy failed/);
    assert.deepEqual(destroyed, ['snap-2']);
    assert.deepEqual(
      (await rpcs.ListSnapshots({ maxEntries: 0, startingToken: '', sourceVolumeId: '', snapshotId: '', secrets: {} })).entries?.map(
        (e) => e.snapshot?.snapshotId,
      ),
      ['snap-1'],
    );
    await assert.rejects(rpcs.GetSnapshot({ snapshotId: 'other-1', secrets: {} }), code(status.NOT_FOUND));
    assert.equal((await rpcs.GetSnapshot({ snapshotId: 'snap-1', secrets: {} })).snapshot?.snapshotId, 'snap-1');
    assert.deepEqual(await rpcs.DeleteSnapshot({ snapshotId: 'snap-9', secrets: {} }), {});
    assert.deepEqual(await rpcs.DeleteSnapshot({ snapshotId: 'snap-1', secrets: {} }), {});
    assert.deepEqual(destroyed, ['snap-2', 'snap-1']);
  });
});
