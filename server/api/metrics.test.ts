import assert from 'node:assert/strict';
import type { ServerMetrics } from '../../api';
import { startTestApi, type TestApi } from './test-api';

/** GET /v1/metrics: what the control plane spends its work on, per controller. */
describe('server: metrics', function () {
  this.timeout(30_000);
  let api: TestApi;

  before(async () => {
    api = await startTestApi();
  });
  after(async () => api.close());

  const metrics = async () => (await (await api.fetch('/v1/metrics')).json()) as ServerMetrics;

  it("counts each controller's syncs, and a change makes work for the controllers it concerns only", async () => {
    const before = await metrics();
    assert.deepEqual(Object.keys(before.controllers).sort(), ['backups', 'recovery-points', 'schedules']);
    for (const c of Object.values(before.controllers)) assert.equal(c.failed, 0);
    api.store.backups.put('b1', { id: 'b1', app: 'db', repository: 'main', state: 'failed', volumes: [], startedAt: '2026-01-01T00:00:00Z' });
    await api.ctx.store.commitSoon(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    const after = await metrics();
    assert.equal(after.controllers.backups.synced, before.controllers.backups.synced + 1, 'the backup was looked at once');
    assert.equal(after.controllers['recovery-points'].synced, before.controllers['recovery-points'].synced, 'recovery points had nothing to do');
    assert.equal(after.records.apps, 0);
  });
});
