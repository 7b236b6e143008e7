import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_CREDENTIALS_FILE } from '../../agent/node-credentials';
import { API_TOKEN_FILE, JOIN_TOKEN_FILE, NODE_CREDENTIALS_FILE } from '../../server/credentials';
import { berthJson, type NodeHandle, startCluster, type TestCluster } from '../harness/cluster';
import { BERTH_BIN } from '../harness/plugin-process';

const DIST = join(__dirname, '..', '..');
const NOBODY = 65534;

/** Runs node as user `nobody` (no token in its environment, no home). */
function asNobody(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, {
    uid: NOBODY,
    gid: NOBODY,
    cwd: '/',
    env: { PATH: process.env.PATH, HOME: '/nonexistent' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A script run as nobody: its last stdout line is the JSON it prints. */
function probe(script: string): Record<string, unknown> {
  const r = asNobody(['-e', script]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

const APP = `kind: App
name: intruder
spec:
  instances: 1
  runtime: process
  command: ["sh", "-c", "id > /tmp/berth-intruder; sleep 1000"]
  resources: { cpu: 0.1, memory: 32Mi }
`;

/**
 * Issue #12: no local user becomes root through Berth. Against a real server and agent, user `nobody`
 * tries the API (CLI and raw HTTP), the token files, the agent endpoint (Join, Sync as a fake node and
 * as the real one) and the agent's node service (Exec, CsiCall): each is refused, and nothing changed.
 */
describe('local privilege: user nobody gets nothing from a running Berth', function () {
  this.timeout(300_000);
  let cluster: TestCluster;
  let node: NodeHandle;
  let agentAddress: string;
  let initial: { nodes: string; tasks: string; credentials: string };
  const serverDir = () => join(cluster.dir, 'server');
  const state = () => ({
    nodes: JSON.stringify(berthJson<{ items: { id: string }[] }>(cluster.api, ['get', 'nodes']).items.map((n) => n.id)),
    tasks: JSON.stringify(berthJson<{ items: unknown[] }>(cluster.api, ['get', 'tasks']).items),
    credentials: Object.keys((JSON.parse(readFileSync(join(serverDir(), NODE_CREDENTIALS_FILE), 'utf8')) as { nodes: object }).nodes).join(','),
  });

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    cluster = await startCluster('local-privilege');
    node = await cluster.addNode('n1', '256M');
    // Everyone may walk to the Berth directories, as under /var/lib: only their own modes keep nobody out.
    chmodSync(cluster.dir, 0o755);
    agentAddress = berthJson<{ items: { id: string; address: string }[] }>(cluster.api, ['get', 'nodes']).items.find((n) => n.id === 'n1')!.address;
    initial = state();
  });
  after(async () => {
    await cluster?.stop();
  });

  it('keeps the token files for their owner: 0600 files in a 0700 data dir', () => {
    assert.equal(statSync(serverDir()).mode & 0o777, 0o700);
    for (const f of [API_TOKEN_FILE, JOIN_TOKEN_FILE, NODE_CREDENTIALS_FILE]) assert.equal(statSync(join(serverDir(), f)).mode & 0o777, 0o600, f);
    assert.equal(statSync(join(node.stateDir, AGENT_CREDENTIALS_FILE)).mode & 0o777, 0o600);
    const files = [API_TOKEN_FILE, JOIN_TOKEN_FILE, NODE_CREDENTIALS_FILE].map((f) => join(serverDir(), f));
    files.push(join(node.stateDir, AGENT_CREDENTIALS_FILE));
    const read = probe(`
      const fs = require('fs');
      const out = {};
      for (const f of ${JSON.stringify(files)}) { try { fs.readFileSync(f); out[f] = 'read'; } catch (e) { out[f] = e.code; } }
      console.log(JSON.stringify(out));`);
    for (const f of files) assert.equal(read[f], 'EACCES', f);
  });

  it('refuses the CLI without a token (401), saying where it looked', () => {
    for (const args of [
      ['--server', cluster.api, 'get', 'nodes'],
      ['--server', cluster.api, '--data-dir', cluster.dir, 'get', 'nodes'],
    ]) {
      const r = asNobody([BERTH_BIN, ...args]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /carries no API token/);
      assert.match(r.stderr, /no API token found; looked in: BERTH_TOKEN \(unset\)/);
    }
    const r = asNobody([BERTH_BIN, '--server', cluster.api, '--data-dir', cluster.dir, 'get', 'nodes']);
    assert.match(r.stderr, new RegExp(`${join(serverDir(), API_TOKEN_FILE)} \\(permission denied\\)`));
  });

  it('refuses raw HTTP without the token or with a wrong one; /v1/health alone answers', () => {
    const out = probe(`
      (async () => {
        const api = ${JSON.stringify(cluster.api)};
        const apply = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ manifest: ${JSON.stringify(APP)} }) };
        const out = {
          apply: (await fetch(api + '/v1/apply', apply)).status,
          applyWrong: (await fetch(api + '/v1/apply', { ...apply, headers: { ...apply.headers, authorization: 'Bearer guess' } })).status,
          nodes: (await fetch(api + '/v1/nodes')).status,
          metrics: (await fetch(api + '/v1/metrics', { headers: { authorization: 'bearer ' } })).status,
          health: await (await fetch(api + '/v1/health')).json(),
        };
        console.log(JSON.stringify(out));
      })();`);
    assert.deepEqual(out, { apply: 401, applyWrong: 401, nodes: 401, metrics: 401, health: { ok: true } });
  });

  it('refuses a Join without the join token, and Syncs as a fake node or as the real one without its secret', () => {
    const out = probe(`
      const grpc = require(${JSON.stringify(require.resolve('@grpc/grpc-js'))});
      const { loadAgentProto } = require(${JSON.stringify(join(DIST, 'proto', 'berth', 'load.js'))});
      const client = new (loadAgentProto().berth.agent.v1.AgentControl)(${JSON.stringify(cluster.agentAddress)}, grpc.credentials.createInsecure());
      const md = (t) => { const m = new grpc.Metadata(); if (t) m.set('authorization', 'Bearer ' + t); return m; };
      const code = (method, req, token) => new Promise((resolve) => client[method](req, md(token), { deadline: Date.now() + 10000 }, (e) => resolve(e ? e.code : 0)));
      const report = { address: '127.0.0.1:1', cpuCores: 64, memoryBytes: '1000000000000', runtime: 'process', sentAtMs: String(Date.now()) };
      (async () => {
        const out = {
          join: await code('Join', { nodeId: 'intruder', nodeServiceSecret: 'x'.repeat(43) }),
          joinGuess: await code('Join', { nodeId: 'intruder', nodeServiceSecret: 'x'.repeat(43) }, 'guess'),
          syncFake: await code('Sync', { nodeId: 'intruder', ...report }),
          syncFakeGuess: await code('Sync', { nodeId: 'intruder', ...report }, 'guess'),
          syncReal: await code('Sync', { nodeId: 'n1', ...report }),
          syncRealGuess: await code('Sync', { nodeId: 'n1', ...report }, 'guess'),
        };
        console.log(JSON.stringify(out));
        client.close();
      })();`);
    const UNAUTHENTICATED = 16;
    assert.deepEqual(out, {
      join: UNAUTHENTICATED,
      joinGuess: UNAUTHENTICATED,
      syncFake: UNAUTHENTICATED,
      syncFakeGuess: UNAUTHENTICATED,
      syncReal: UNAUTHENTICATED,
      syncRealGuess: UNAUTHENTICATED,
    });
  });

  it("refuses Exec and CsiCall on the agent's node service without the server's secret", () => {
    const out = probe(`
      const grpc = require(${JSON.stringify(require.resolve('@grpc/grpc-js'))});
      const { loadAgentProto } = require(${JSON.stringify(join(DIST, 'proto', 'berth', 'load.js'))});
      const client = new (loadAgentProto().berth.agent.v1.AgentNode)(${JSON.stringify(agentAddress)}, grpc.credentials.createInsecure());
      const md = (t) => { const m = new grpc.Metadata(); if (t) m.set('authorization', 'Bearer ' + t); return m; };
      const code = (method, req, token) => new Promise((resolve) => client[method](req, md(token), { deadline: Date.now() + 10000 }, (e) => resolve(e ? e.code : 0)));
      (async () => {
        const exec = { taskId: 'any-0', command: ['sh', '-c', 'id > /tmp/berth-intruder-exec'] };
        const csi = { plugin: 'berth.local', methodPath: '/csi.v1.Controller/ListVolumes', request: Buffer.alloc(0), timeoutMs: 5000 };
        const out = {
          exec: await code('Exec', exec),
          execGuess: await code('Exec', exec, 'guess'),
          csi: await code('CsiCall', csi),
          csiGuess: await code('CsiCall', csi, 'guess'),
          logs: await code('Logs', { taskId: 'any-0' }),
        };
        console.log(JSON.stringify(out));
        client.close();
      })();`);
    const UNAUTHENTICATED = 16;
    assert.deepEqual(out, { exec: UNAUTHENTICATED, execGuess: UNAUTHENTICATED, csi: UNAUTHENTICATED, csiGuess: UNAUTHENTICATED, logs: UNAUTHENTICATED });
  });

  it('changed nothing: no node added, no task started, no credentials registered, n1 still ready', () => {
    assert.deepEqual(state(), initial);
    const n1 = berthJson<{ items: { id: string; state: string; cpuCores: number }[] }>(cluster.api, ['get', 'nodes']).items.find((n) => n.id === 'n1');
    assert.equal(n1?.state, 'ready');
    assert.notEqual(n1?.cpuCores, 64, "the fake report did not replace n1's");
  });
});
