import assert from 'node:assert/strict';
import { ROUTES } from '../../api';
import { startTestApi, type TestApi } from './test-api';

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { summary?: string; requestBody?: unknown; parameters?: { in: string; name: string }[] }>>;
}

/** GET /v1/openapi.json: generated from the route schemas, listing every route the server registered. */
describe('server: the OpenAPI document', function () {
  this.timeout(30_000);
  let api: TestApi;

  before(async () => {
    api = await startTestApi({ token: 'sekrit' });
  });
  after(async () => api.close());

  const get = (path: string, token?: string) => fetch(`${api.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('is behind the API token like every route', async () => {
    assert.equal((await get('/v1/openapi.json')).status, 401);
    assert.equal((await get('/v1/openapi.json', 'wrong')).status, 401);
    assert.equal((await get('/v1/openapi.json', 'sekrit')).status, 200);
  });

  it('takes the Bearer scheme in any case (RFC 7235), and nothing but the token after it', async () => {
    const as = (authorization: string) => fetch(`${api.url}/v1/openapi.json`, { headers: { authorization } }).then((r) => r.status);
    assert.equal(await as('bearer sekrit'), 200);
    assert.equal(await as('BEARER sekrit'), 200);
    assert.equal(await as('Basic sekrit'), 401);
    assert.equal(await as('Bearer sekrit2'), 401);
    assert.equal(await as('Bearersekrit'), 401);
  });

  it('lists every registered route, and only those, with their schemas', async () => {
    const doc = (await (await get('/v1/openapi.json', 'sekrit')).json()) as OpenApiDocument;
    assert.match(doc.openapi, /^3\./);
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    const contract = ROUTES.map((r) => `${r.method} ${r.url.replace(/:([A-Za-z]+)/g, '{$1}')}`).sort();
    assert.deepEqual(documented, contract);
    for (const r of ROUTES) assert.ok(api.app.hasRoute({ method: r.method, url: r.url }), `${r.method} ${r.url} is registered`);
    const apply = doc.paths['/v1/apply'].post;
    assert.ok(apply.requestBody, 'bodies are documented');
    assert.deepEqual(
      doc.paths['/v1/tasks'].get.parameters?.map((p) => `${p.in}:${p.name}`),
      ['query:index', 'query:waitMs'],
    );
    assert.deepEqual(
      doc.paths['/v1/apps/{name}'].get.parameters?.map((p) => `${p.in}:${p.name}`),
      ['path:name'],
    );
  });
});
