import assert from 'node:assert/strict';
import { startTestApi, type TestApi } from './test-api';

/** Claims without a class take the cluster's default one, through POST /v1/apply against a real store. */
describe('API: the default storage class', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startTestApi();
  });
  afterEach(async () => {
    await api.close();
  });

  const apply = async (manifest: string) => {
    const res = await api.fetch('/v1/apply', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ manifest }) });
    return { status: res.status, body: (await res.json()) as { message?: string; errors?: { path: string; message: string }[] } };
  };
  const plugin = 'kind: Plugin\nname: berth.local\nspec: { nodes: {} }\n---\n';
  const app = (name: string) =>
    `kind: App\nname: ${name}\nspec:\n  runtime: process\n  command: [sleep, "1"]\n  volumes: [{ name: data, mountPath: /data, claim: { size: 1Gi } }]\n`;

  it('names the default class in the stored claim template; the class of the same input counts', async () => {
    const r = await apply(`${plugin}kind: StorageClass\nname: local\nspec: { plugin: berth.local, default: true }\n---\n${app('a')}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(api.store.apps.get('a')!.spec.volumes[0]!.claim.storageClass, 'local');
    // A class applied later as the default does not move what is stored.
    const again = await apply(app('b'));
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(api.store.apps.get('b')!.spec.volumes[0]!.claim.storageClass, 'local');
  });

  it('refuses a claim without a class when there is no default, and a second default; nothing is stored', async () => {
    const none = await apply(`${plugin}kind: StorageClass\nname: local\nspec: { plugin: berth.local }\n---\n${app('a')}`);
    assert.equal(none.status, 400);
    assert.deepEqual(
      none.body.errors?.map((e) => `${e.path}: ${e.message}`),
      ['App/a spec.volumes[0].claim.storageClass: no storage class given and the cluster has no default one: name a class, or mark one with default: true'],
    );
    assert.equal(api.store.apps.get('a'), undefined);
    assert.equal(api.store.storageClasses.get('local'), undefined, 'all or nothing');
    assert.equal((await apply(`${plugin}kind: StorageClass\nname: local\nspec: { plugin: berth.local, default: true }\n`)).status, 200);
    const second = await apply('kind: StorageClass\nname: fast\nspec: { plugin: berth.local, default: true }\n');
    assert.equal(second.status, 400);
    assert.match(second.body.errors?.[0]?.message ?? '', /storage class local is the default already/);
    assert.equal(api.store.storageClasses.get('fast'), undefined);
    // Moving the default in one input is fine.
    const moved = await apply(
      'kind: StorageClass\nname: local\nspec: { plugin: berth.local, default: false }\n---\nkind: StorageClass\nname: fast\nspec: { plugin: berth.local, default: true }\n',
    );
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
  });
});
