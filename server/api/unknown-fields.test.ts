import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROUTES, type Route } from '../../api';
import { startTestApi, type TestApi } from './test-api';

const APP = `kind: App
name: db
spec:
  instances: 1
  runtime: docker
  image: busybox
  command: ["sleep", "1000"]
  resources: { cpu: 0.1, memory: 64Mi }
`;

/**
 * Unknown fields are refused on every route (issue #10): fastify's default would drop them silently, so
 * `POST /v1/apply` with a misspelt `dryrun` applied for real. Each case sends what a caller plausibly
 * gets wrong, expects 400 naming the field, and checks that nothing in the store changed and the control
 * loop was not woken.
 */
describe('server: the API refuses unknown fields and changes nothing', function () {
  this.timeout(30_000);
  let api: TestApi;

  before(async () => {
    api = await startTestApi();
    const res = await send('POST', '/v1/apply', { manifest: APP });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });
  after(async () => api.close());

  async function send(method: string, path: string, body?: unknown): Promise<{ status: number; body: { message?: string; errors?: unknown } }> {
    const res = await api.fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { message?: string } };
  }

  /** Everything a request could have written: every table, the events, and whether the control loop was woken. */
  function state(): string {
    const { store } = api;
    return JSON.stringify([
      store.apps.list(),
      store.tasks.list(),
      store.claims.list(),
      store.volumes.list(),
      store.storageClasses.list(),
      store.plugins.list(),
      store.secrets.list(),
      store.recoveryPoints.list(),
      store.backups.list(),
      store.restores.list(),
      store.schedules.list(),
      store.repositories.list(),
      store.events(undefined, 1000),
      api.kicks(),
    ]);
  }

  async function refused(method: string, path: string, body: unknown, field: string, where: 'body' | 'query string'): Promise<void> {
    const before = state();
    const res = await send(method, path, body);
    assert.equal(res.status, 400, `${method} ${path}: ${JSON.stringify(res.body)}`);
    assert.match(res.body.message ?? '', new RegExp(`^unknown field "${field}" in ${where}`), `${method} ${path}`);
    assert.equal(state(), before, `${method} ${path} changed something`);
  }

  it('POST /v1/apply with `dryrun` for `dryRun` applies nothing', async () => {
    const changed = APP.replace('instances: 1', 'instances: 3');
    await refused('POST', '/v1/apply', { manifest: changed, dryrun: true }, 'dryrun', 'body');
    assert.match(
      (await send('POST', '/v1/apply', { manifest: changed, dryrun: true })).body.message ?? '',
      /expected manifest, dryRun/,
      'names the fields it takes',
    );
    assert.equal(api.store.apps.get('db')?.spec.instances, 1);
    // The same request spelt right is a dry run that is answered and changes nothing either.
    const dry = await send('POST', '/v1/apply', { manifest: changed, dryRun: true });
    assert.equal(dry.status, 200);
    assert.equal(api.store.apps.get('db')?.spec.instances, 1);
  });

  it("POST /v1/apply keeps the manifest's own field-path errors", async () => {
    const before = state();
    const res = await send('POST', '/v1/apply', { manifest: APP.replace('instances: 1', 'instances: 1\n  instancez: 2') });
    assert.equal(res.status, 400);
    assert.match(res.body.message ?? '', /invalid manifest/);
    assert.ok(Array.isArray(res.body.errors) && res.body.errors.length > 0, JSON.stringify(res.body));
    assert.equal(state(), before);
  });

  it('POST /v1/apps/:name/scale', () => refused('POST', '/v1/apps/db/scale', { instances: 3, force: true }, 'force', 'body'));
  it('POST /v1/apps/:name/snapshots', () => refused('POST', '/v1/apps/db/snapshots', { consistency: 'crash' }, 'consistency', 'body'));
  it('POST /v1/apps/:name/backups', () => refused('POST', '/v1/apps/db/backups', { repo: 'main' }, 'repo', 'body'));
  it('POST /v1/restores', () => refused('POST', '/v1/restores', { fromSnapshot: 'rp-1', as: 'db2', storageclassMap: { a: 'b' } }, 'storageclassMap', 'body'));
  it('POST /v1/schedules', () => refused('POST', '/v1/schedules', { name: 'nightly', app: 'db', cron: '0 2 * * *', keeep: 3 }, 'keeep', 'body'));

  it('POST /v1/repositories creates no repository', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-repo-'));
    try {
      await refused('POST', '/v1/repositories', { name: 'main', location: dir, passphrase: 'correct horse', intit: true }, 'intit', 'body');
      assert.deepEqual(readdirSync(dir), [], 'nothing written at the location');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('DELETE /v1/apps/:name with a query parameter does not delete', async () => {
    await refused('DELETE', '/v1/apps/db?force=true', undefined, 'force', 'query string');
    assert.equal(api.store.apps.get('db')?.deleting, false);
  });

  it('a misspelt filter or watch parameter is refused, not ignored', async () => {
    await refused('GET', '/v1/tasks?indx=3', undefined, 'indx', 'query string');
    await refused('GET', '/v1/backups?ap=db', undefined, 'ap', 'query string');
    await refused('GET', '/v1/tasks/db-0/logs?tial=5', undefined, 'tial', 'query string');
  });

  // Every route, with a body that passes its schema (fastify checks the body before the query string).
  // A claim id is `<app>/<volume>/<instance>`, its slashes encoded in the path.
  const samplePath = (route: Route): string => route.url.replace(/:([A-Za-z]+)/g, route.url.startsWith('/v1/claims/') ? 'x1%2Fx1%2F1' : 'x1');
  const sampleBody = (route: Route): Record<string, unknown> | undefined => {
    if (route.method !== 'POST') return undefined;
    const schema = route.schema.body as { required?: string[]; properties?: Record<string, { type: string; minimum?: number }> } | undefined;
    return Object.fromEntries(
      (schema?.required ?? []).map((k) => [k, schema?.properties?.[k]?.type === 'integer' ? (schema.properties[k].minimum ?? 1) : 'x1']),
    );
  };
  for (const route of ROUTES) {
    it(`${route.method} ${route.url}: an unknown query parameter`, () =>
      refused(route.method, `${samplePath(route)}?bogus=1`, sampleBody(route), 'bogus', 'query string'));
  }
});
