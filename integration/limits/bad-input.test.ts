import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { cleanupUnder } from '../harness/cleanup';
import { apiFetch, berth, type Daemon, freePort, serverFiles, startDaemon, useServerToken, waitFor } from '../harness/cluster';
import { tempDir } from '../harness/fs-helpers';

/**
 * Bad input through raw HTTP and the CLI against a real server: each refused with the status or exit
 * code of invalid input and a message naming the field and the bound, and nothing changed. (The
 * validation messages themselves are checked one by one in core/manifests/test/limits.test.ts.)
 */

interface Reply {
  status: number;
  body: { message?: string; code?: string; errors?: { path: string; message: string }[] };
}

/** One request written by hand, so nothing between the test and the server fixes it up. */
function raw(port: number, request: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (d) => {
      out += d.toString();
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = out.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body: JSON.parse(body) as Reply['body'] });
    });
    socket.end(request);
  });
}

describe('bad input is refused naming the problem, and changes nothing', function () {
  this.timeout(120_000);
  let dir: string;
  let port: number;
  let api: string;
  let server: Daemon;

  const revision = async () => ((await (await apiFetch(api, '/v1/metrics')).json()) as { storeRevision: number }).storeRevision;
  const apply = async (manifest: string): Promise<Reply> => {
    const res = await apiFetch(api, '/v1/apply', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ manifest }) });
    return { status: res.status, body: (await res.json()) as Reply['body'] };
  };

  before(async () => {
    dir = tempDir('bad-input');
    port = await freePort();
    api = `http://127.0.0.1:${port}`;
    server = startDaemon(['server', '--data-dir', join(dir, 'server'), '--listen', `127.0.0.1:${port}`, '--agent-listen', `127.0.0.1:${await freePort()}`]);
    await waitFor('server', async () => (await fetch(`${api}/v1/health`)).ok);
    useServerToken(api, join(dir, 'server'));
  });

  after(async () => {
    await server?.stop();
    if (dir) cleanupUnder(dir);
  });

  it('2,000 request headers: 431 with a JSON body naming the bound', async () => {
    const headers = Array.from({ length: 2000 }, (_, i) => `x-h${i}: v\r\n`).join('');
    const reply = await raw(port, `GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${headers}\r\n`);
    assert.equal(reply.status, 431);
    assert.equal(reply.body.code, 'invalid_argument');
    assert.match(reply.body.message ?? '', /^too many request headers: at most 100 allowed \(\d+ counted\)$/);
  });

  it('headers over 16 KB: 431 with a JSON body', async () => {
    const reply = await raw(port, `GET /v1/health HTTP/1.1\r\nHost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.equal(reply.status, 431);
    assert.deepEqual(reply.body, { message: 'request headers larger than 16 KB: send fewer or shorter headers', code: 'invalid_argument' });
  });

  it('a body over 4 MB: 413 naming the body and the manifest bounds', async () => {
    const before = await revision();
    // Refused on its Content-Length, before any of it is read: sent by hand, as a client that stops
    // uploading when the answer comes (fetch may lose a 413 that arrives while it is still sending).
    const token = readFileSync(serverFiles(join(dir, 'server')).apiToken, 'utf8').trim();
    const size = 5 * 1024 * 1024;
    const reply = await raw(
      port,
      `POST /v1/apply HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n{"manifest":"`,
    );
    assert.equal(reply.status, 413);
    assert.deepEqual(reply.body, { message: 'request body larger than 4 MB (a manifest may be at most 2 MB)', code: 'invalid_argument' });
    assert.equal(await revision(), before);
  });

  it('a manifest over 2 MB within the body limit: 400 naming the bound', async () => {
    const before = await revision();
    const reply = await apply(`kind: Secret\nname: s\ndata: {}\n#${'x'.repeat(3_000_000)}`);
    assert.equal(reply.status, 400);
    assert.deepEqual(reply.body.errors, [{ path: 'document 1', message: 'manifest larger than 2 MB (3000031 bytes; at most 2097152)' }]);
    assert.equal(await revision(), before);
  });

  it('sizes too large, bad env names, too many volumes and instances: 400, each naming field and rule', async () => {
    const before = await revision();
    const volumes = Array.from({ length: 65 }, (_, i) => ({ name: `v${i}`, mountPath: `/v${i}`, claim: { storageClass: 's', size: '1Gi' } }));
    const apps = [
      { name: 'size', spec: { image: 'x', resources: { memory: '1Ei' } } },
      { name: 'big', spec: { image: 'x', volumes: [{ name: 'd', mountPath: '/d', claim: { storageClass: 's', size: 1e30 } }] } },
      { name: 'env', spec: { image: 'x', env: { '1BAD': 'a', 'A=B': 'b' } } },
      { name: 'vols', spec: { image: 'x', volumes } },
      { name: 'many', spec: { image: 'x', instances: 1_000_000_000 } },
    ];
    const reply = await apply(JSON.stringify(apps.map((a) => ({ kind: 'App', ...a }))));
    assert.equal(reply.status, 400);
    const envRule = 'is not an environment variable name: letters, digits and "_", not starting with a digit (e.g. DATABASE_URL)';
    assert.deepEqual(
      reply.body.errors?.map((e) => `${e.path.replace(/ \(line \d+\)$/, '')}: ${e.message}`),
      [
        'App/size spec.resources.memory: "1Ei" is too large: at most 8Pi',
        'App/big spec.volumes[0].claim.size: 1e+30 is too large: at most 8Pi',
        `App/env spec.env["1BAD"]: "1BAD" ${envRule}`,
        `App/env spec.env["A=B"]: "A=B" ${envRule}`,
        'App/vols spec.volumes: at most 64 volumes per app allowed, got 65',
        'App/many spec.instances: expected a whole number from 0 to 10000 (the most instances an app may have), got 1000000000',
      ],
    );
    assert.equal(await revision(), before);
  });

  it('unknown body fields: 400 naming the field', async () => {
    const res = await apiFetch(api, '/v1/apply', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ manifest: 'x', dryrun: true }),
    });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as Reply['body']).message ?? '', /dryrun/);
  });

  it('the CLI: a 20 MB manifest exits 2 with "manifest larger than 2 MB", before sending it', async () => {
    const before = await revision();
    const file = join(dir, 'big.yaml');
    writeFileSync(file, `kind: Secret\nname: s\ndata: {}\n#${'x'.repeat(20 * 1024 * 1024)}\n`);
    const r = berth(api, ['apply', '-f', file]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /manifest larger than 2 MB \(\d+ bytes; at most 2097152\)/);
    assert.doesNotMatch(r.stderr, /EPIPE|cannot reach/);
    assert.equal(await revision(), before);
  });
});
