import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newSecret } from '../../lib/auth/secrets';
import { JoinRefused, NodeCredentials } from './node-credentials';

describe("server: nodes' credentials", () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-node-creds-'));
    path = join(dir, 'node-credentials.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives a joining node its secret, keeps only its hash (0600), and knows it after a restart', async () => {
    const service = newSecret();
    const creds = new NodeCredentials(path);
    const secret = await creds.join('n1', service);
    assert.equal(creds.verify('n1', secret), true);
    assert.equal(creds.verify('n1', 'wrong'), false);
    assert.equal(creds.verify('n1', ''), false);
    assert.equal(creds.verify('n2', secret), undefined, 'a node that never joined');
    assert.equal(creds.serviceSecret('n1'), service);
    const file = readFileSync(path, 'utf8');
    assert.ok(!file.includes(secret), 'the node secret is not kept');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const again = new NodeCredentials(path);
    assert.equal(again.verify('n1', secret), true);
    assert.equal(again.serviceSecret('n1'), service);
  });

  it('refuses a second agent joining as a node that has joined; the same agent gets a fresh secret', async () => {
    const service = newSecret();
    const creds = new NodeCredentials(path);
    const first = await creds.join('n1', service);
    await assert.rejects(creds.join('n1', newSecret()), (e: unknown) => e instanceof JoinRefused && /node n1 has joined already/.test(e.message));
    assert.equal(creds.verify('n1', first), true, 'a refused join changes nothing');
    const second = await creds.join('n1', service);
    assert.equal(creds.verify('n1', second), true);
    assert.equal(creds.verify('n1', first), false);
    await assert.rejects(creds.join('n2', 'short'), JoinRefused);
  });

  it('writes the joins of one moment together, each durable before it is answered', async () => {
    const creds = new NodeCredentials(path);
    const secrets = await Promise.all(Array.from({ length: 50 }, (_, i) => creds.join(`n${i}`, newSecret())));
    const reread = new NodeCredentials(path);
    for (const [i, s] of secrets.entries()) assert.equal(reread.verify(`n${i}`, s), true);
  });
});
