import assert from 'node:assert/strict';
import type { ClusterContext } from '../cluster-context';
import type { SqliteClusterStore } from '../store/sqlite-cluster-store';
import { startTestApi } from './test-api';

/** The API's blocking queries on a real HTTP listener: a watch that answers when the cluster changes, not by polling. */
describe('server: blocking queries on the API lists', function () {
  this.timeout(20_000);
  let store: SqliteClusterStore;
  let ctx: ClusterContext;
  let apiFetch: (path: string) => Promise<Response>;
  let close: () => Promise<unknown>;

  before(async () => {
    const api = await startTestApi();
    ({ store, ctx } = api);
    apiFetch = (path) => api.fetch(path);
    close = () => api.close();
  });
  after(async () => {
    await close();
  });

  const tasks = async (query = '') => {
    const started = Date.now();
    const res = await apiFetch(`/v1/tasks${query}`);
    assert.equal(res.status, 200);
    return { index: Number(res.headers.get('x-berth-index')), ms: Date.now() - started, items: ((await res.json()) as { items: { id: string }[] }).items };
  };

  it('answers at once without an index, and with an index once the cluster changed after it', async () => {
    const first = await tasks();
    assert.ok(Number.isInteger(first.index));
    setTimeout(() => {
      store.tasks.put('db-0', { id: 'db-0', app: 'db', instance: 0, generation: 1, state: 'pending', restarts: 0, updatedAt: new Date().toISOString() });
      ctx.changed();
    }, 300);
    const next = await tasks(`?index=${first.index}&waitMs=10000`);
    assert.ok(next.ms >= 250 && next.ms < 5_000, `answered after ${next.ms} ms`);
    assert.ok(next.index > first.index);
    assert.deepEqual(
      next.items.map((t) => t.id),
      ['db-0'],
      'the answer shows the change',
    );
  });

  it('answers after waitMs when nothing changed, and at once for an index from before a restart', async () => {
    const now = await tasks();
    const waited = await tasks(`?index=${now.index}&waitMs=200`);
    assert.ok(waited.ms >= 150 && waited.ms < 3_000, `answered after ${waited.ms} ms`);
    assert.equal(waited.index, now.index);
    const stale = await tasks(`?index=${now.index + 1000}&waitMs=10000`);
    assert.ok(stale.ms < 1_000, 'an index this server never issued is answered at once');
  });

  it('refuses a malformed index', async () => {
    assert.equal((await apiFetch(`/v1/tasks?index=-1`)).status, 400);
    assert.equal((await apiFetch(`/v1/tasks?index=x`)).status, 400);
  });
});
