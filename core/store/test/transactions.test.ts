import { strict as assert } from 'node:assert';
import { ConflictError, ObjectDeletingError, StoreUsageError, claimId } from '..';
import type { ClaimRecord } from '..';
import { appSpec } from './fixtures';
import { tempStore } from './temp-store';
import type { TempStore } from './temp-store';

const claim = (app: string, instance: number): Omit<ClaimRecord, 'version' | 'createdAt' | 'updatedAt'> => ({
  id: claimId(app, 'data', instance),
  app,
  template: 'data',
  instance,
  storageClass: 'local',
  sizeBytes: 1024 ** 3,
  accessMode: 'single-node-writer',
  volumeMode: 'filesystem',
  state: 'pending',
  retain: true,
});

describe('store: transactions and optimistic concurrency', () => {
  let temp: TempStore;
  beforeEach(() => {
    temp = tempStore();
  });
  afterEach(() => temp.cleanup());

  it('applies an app idempotently: same spec → unchanged, same version; new spec → new generation', async () => {
    const store = temp.store;
    const first = await store.transaction((tx) => tx.apps.apply('pg', appSpec()));
    assert.equal(first.change, 'created');
    assert.equal(first.record.version, 1);
    assert.equal(first.record.generation, 1);
    const again = await store.transaction((tx) => tx.apps.apply('pg', appSpec()));
    assert.equal(again.change, 'unchanged');
    assert.equal(again.record.version, 1);
    const scaled = await store.transaction((tx) => tx.apps.apply('pg', { ...appSpec(), instances: 3 }));
    assert.equal(scaled.change, 'updated');
    assert.equal(scaled.record.version, 2);
    assert.equal(scaled.record.generation, 2);
    const deleting = await store.transaction((tx) => tx.apps.setPhase('pg', 'deleting'));
    assert.equal(deleting.version, 3);
    assert.equal(deleting.generation, 2, 'a phase change is not a spec change');
  });

  it('answers a conflict when the expected version is stale, and changes nothing', async () => {
    const store = temp.store;
    const { record } = await store.transaction((tx) => tx.apps.apply('pg', appSpec()));
    // Two clients read version 1; the first update wins, the second must re-read.
    await store.transaction((tx) => tx.apps.apply('pg', { ...appSpec(), instances: 2 }, { expectedVersion: record.version }));
    await assert.rejects(
      store.transaction((tx) => tx.apps.apply('pg', { ...appSpec(), instances: 5 }, { expectedVersion: record.version })),
      (e: ConflictError) => e instanceof ConflictError && e.expectedVersion === 1 && e.actualVersion === 2 && e.code === 'conflict',
    );
    await assert.rejects(store.transaction((tx) => tx.apps.apply('pg', appSpec(), { expectedVersion: 0 })), /already exists \(version 2\)/);
    await assert.rejects(store.transaction((tx) => tx.apps.delete('pg', { expectedVersion: 1 })), ConflictError);
    const stored = await store.read((tx) => tx.apps.require('pg'));
    assert.equal(stored.spec.instances, 2);
    assert.equal(stored.version, 2);
  });

  it('conflicts on generic records too, and on a record deleted meanwhile', async () => {
    const store = temp.store;
    const created = await store.transaction((tx) => tx.claims.create(claim('pg', 0)));
    await store.transaction((tx) => tx.claims.update(created.id, { state: 'bound', volumeId: 'v1' }, { expectedVersion: 1 }));
    await assert.rejects(store.transaction((tx) => tx.claims.update(created.id, { state: 'lost' }, { expectedVersion: 1 })), ConflictError);
    await store.transaction((tx) => tx.claims.delete(created.id));
    await assert.rejects(
      store.transaction((tx) => tx.claims.update(created.id, { state: 'lost' }, { expectedVersion: 2 })),
      (e: ConflictError) => e.actualVersion === undefined,
    );
  });

  it('changes nothing when a transaction throws halfway through several writes', async () => {
    const store = temp.store;
    await store.transaction((tx) => tx.ledger.setNodeCapacity('n1', { cpuMillis: 1000, memoryBytes: 0, poolBytes: new Map(), attachSlots: new Map() }));
    await assert.rejects(
      store.transaction((tx) => {
        tx.apps.apply('pg', appSpec());
        tx.claims.create(claim('pg', 0));
        tx.events.append({ objectKind: 'app', objectId: 'pg', type: 'Normal', reason: 'Applied', message: 'created' });
        tx.ledger.insertReservation({ holderId: 'pg-0', kind: 'task', nodeId: 'n1', amounts: { cpuMillis: 500, memoryBytes: 0, pools: [], attachments: [] } });
        tx.claims.create(claim('pg', 0)); // duplicate → AlreadyExistsError
      }),
      /already exists/,
    );
    await store.read((tx) => {
      assert.deepEqual(tx.apps.list(), []);
      assert.deepEqual(tx.claims.list(), []);
      assert.deepEqual(tx.events.recent(), []);
      assert.deepEqual([...tx.ledger.reservations()], []);
      assert.equal(tx.ledger.nodeState('n1')!.used.cpuMillis, 0);
    });
  });

  it('refuses writes outside a transaction, writes inside a read, async callbacks and nested transactions', async () => {
    const store = temp.store;
    let escaped: Parameters<Parameters<typeof store.transaction>[0]>[0] | undefined;
    await store.transaction((tx) => {
      escaped = tx;
    });
    assert.throws(() => escaped!.apps.apply('pg', appSpec()), StoreUsageError);
    await assert.rejects(store.read((tx) => (tx as typeof escaped)!.apps.apply('pg', appSpec())), /inside store.read/);
    await assert.rejects(
      store.transaction(async (tx) => {
        tx.apps.apply('pg', appSpec());
      }),
      /must be synchronous/,
    );
    let nested: Promise<number> | undefined;
    await store.transaction(() => {
      nested = store.transaction(() => 1);
    });
    await assert.rejects(nested!, StoreUsageError);
    assert.deepEqual(await store.read((tx) => tx.apps.list()), [], 'the async callback\'s write was rolled back');
  });

  it('refuses to re-apply an app that is being deleted', async () => {
    await temp.store.transaction((tx) => {
      tx.apps.apply('pg', appSpec());
      tx.apps.setPhase('pg', 'deleting');
    });
    await assert.rejects(temp.store.transaction((tx) => tx.apps.apply('pg', appSpec())), ObjectDeletingError);
  });

  it('rejects every call after close', async () => {
    await temp.store.close();
    await assert.rejects(temp.store.read((tx) => tx.apps.list()), /closed/);
    await temp.reopen();
  });
});
