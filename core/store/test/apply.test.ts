import { strict as assert } from 'node:assert';
import { parseManifests, UnresolvedReferenceError } from '../../manifests';
import { applyManifests, ConflictError } from '..';
import { tempStore } from './temp-store';
import type { TempStore } from './temp-store';

const FILE = `kind: App
name: pg
spec:
  instances: 2
  image: busybox:local
  volumes:
    - { name: data, mountPath: /data, claim: { storageClass: local, size: 1Gi } }
    - { name: wal, mountPath: /wal, claim: { storageClass: local, size: 256Mi } }
---
kind: StorageClass
name: local
spec: { plugin: berth.local, stageSecret: chap }
---
kind: Secret
name: chap
data: { user: u, password: p }
---
kind: Plugin
name: berth.local
`;

describe('store: apply in one transaction', () => {
  let temp: TempStore;
  beforeEach(() => {
    temp = tempStore();
  });
  afterEach(() => temp.cleanup());

  it('writes objects in dependency order with their claims and events, and is idempotent', async () => {
    const manifests = parseManifests(FILE);
    const first = await temp.store.transaction((tx) => applyManifests(tx, manifests));
    assert.deepEqual(first.map((r) => `${r.object} ${r.change}`), ['Secret/chap created', 'Plugin/berth.local created', 'StorageClass/local created', 'App/pg created']);
    await temp.store.read((tx) => {
      assert.deepEqual(tx.claims.list({ app: 'pg' }).map((c) => c.id), ['pg/data/0', 'pg/data/1', 'pg/wal/0', 'pg/wal/1']);
      assert.equal(tx.events.recent().length, 4);
    });
    const again = await temp.store.transaction((tx) => applyManifests(tx, manifests));
    assert.ok(again.every((r) => r.change === 'unchanged' && r.version === 1));
    assert.equal((await temp.store.read((tx) => tx.events.recent())).length, 4, 'no events for unchanged objects');
  });

  it('changes nothing when a reference is unresolved or a version conflicts', async () => {
    const appOnly = parseManifests(FILE).filter((m) => m.manifest.kind === 'App');
    await assert.rejects(temp.store.transaction((tx) => applyManifests(tx, appOnly)), UnresolvedReferenceError);
    assert.deepEqual(await temp.store.read((tx) => [tx.apps.list().length, tx.claims.list().length]), [0, 0]);

    await temp.store.transaction((tx) => applyManifests(tx, parseManifests(FILE)));
    const changed = parseManifests(FILE.replace('instances: 2', 'instances: 3').replace('password: p', 'password: q'));
    await assert.rejects(
      temp.store.transaction((tx) => applyManifests(tx, changed, { expectedVersions: new Map([['App/pg', 7]]) })),
      ConflictError,
    );
    await temp.store.read((tx) => {
      assert.equal(tx.apps.require('pg').spec.instances, 2);
      assert.equal(tx.secrets.require('chap').data.reveal().password, 'p', 'the secret written before the conflict was rolled back');
      assert.equal(tx.claims.list().length, 4);
    });
  });
});
