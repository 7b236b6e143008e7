import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import { cleanupUnder } from '../harness/cleanup';
import { apiFetch, berth, berthJson, type Daemon, freePort, serverFiles, startDaemon, useServerToken, waitFor } from '../harness/cluster';
import { tempDir } from '../harness/fs-helpers';

interface Endpoint {
  app: string;
  instance: number;
  taskId: string;
  nodeId: string;
  address: string;
  ports: { name: string; port: number }[];
  ready: boolean;
}

/** A TCP server on $BERTH_PORT_WEB that says which instance it is. */
const SERVE =
  "require('node:net').createServer((s)=>s.end(process.env.BERTH_APP+'-'+process.env.BERTH_INSTANCE+'\\n')).listen(Number(process.env.BERTH_PORT_WEB),'127.0.0.1');";

/** Ready unless the test has put `unready-<instance>` into `dir`. */
const app = (instances: number, dir: string) => `
kind: App
name: web
spec:
  runtime: process
  instances: ${instances}
  command: [${JSON.stringify(process.execPath)}, "-e", ${JSON.stringify(SERVE)}]
  resources: { cpu: 0.05, memory: 32Mi }
  ports: [{ name: web }]
  readiness: { exec: ["sh", "-c", "test ! -e ${dir}/unready-$BERTH_INSTANCE"], interval: 1s, failureThreshold: 1 }
`;

/** One query over UDP to the agent's DNS. */
function query(dns: string, name: string, type: dnsPacket.RecordType): Promise<dnsPacket.DecodedPacket> {
  const colon = dns.lastIndexOf(':');
  const [host, port] = [dns.slice(0, colon), Number(dns.slice(colon + 1))];
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no DNS answer from ${dns} for ${name}`));
    }, 2000);
    socket.on('message', (m) => {
      clearTimeout(timer);
      socket.close();
      resolve(dnsPacket.decode(m));
    });
    socket.send(
      dnsPacket.encode({ type: 'query', id: Math.floor(Math.random() * 65535), flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type }] }),
      port,
      host,
    );
  });
}

const rcode = (p: dnsPacket.DecodedPacket) => (p.flags ?? 0) & 0xf;
const addresses = (p: dnsPacket.DecodedPacket) => (p.answers ?? []).flatMap((a) => (a.type === 'A' ? [a.data] : []));
const srv = (p: dnsPacket.DecodedPacket) => (p.answers ?? []).flatMap((a) => (a.type === 'SRV' ? [`${a.data.target}:${a.data.port}`] : [])).sort();

/** What the TCP server on 127.0.0.1:`port` says. */
function ask(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    const socket = connect(port, '127.0.0.1');
    socket.on('data', (c: Buffer) => {
      data += c.toString();
    });
    socket.on('end', () => resolve(data.trim()));
    socket.on('error', reject);
  });
}

describe('discovery on the process runtime: endpoints listed by the API and CLI, and answered by the agent’s DNS', function () {
  this.timeout(180_000);
  const dir = tempDir('discovery');
  // Not under /tmp: a process task (and its readiness exec) has a private /tmp and would not see the switches.
  const switches = mkdtempSync('/var/tmp/berth-discovery-');
  let api: string;
  let server: Daemon;
  let agent: Daemon;
  let dns: string;

  before(async () => {
    const [port, agentPort] = [await freePort(), await freePort()];
    api = `http://127.0.0.1:${port}`;
    const agentAddress = `127.0.0.1:${agentPort}`;
    server = startDaemon(['server', '--data-dir', join(dir, 'server'), '--listen', `127.0.0.1:${port}`, '--agent-listen', agentAddress]);
    useServerToken(api, join(dir, 'server'));
    await waitFor('server', () => berth(api, ['get', 'nodes']).code === 0);
    agent = startDaemon([
      'agent',
      '--join',
      agentAddress,
      '--join-token-file',
      serverFiles(join(dir, 'server')).joinToken,
      '--node-id',
      'p1',
      '--state-dir',
      join(dir, 'agent'),
      '--runtime',
      'process',
    ]);
    const node = await waitFor('node p1 ready with its DNS address', () =>
      berthJson<{ items: { id: string; state: string; dnsAddress?: string }[] }>(api, ['get', 'nodes']).items.find((n) => n.state === 'ready' && n.dnsAddress),
    );
    dns = node.dnsAddress!;
  });

  after(async () => {
    if (api) {
      berth(api, ['delete', 'app', 'web']);
      await waitFor('tasks gone', () => berthJson<{ items: unknown[] }>(api, ['get', 'tasks']).items.length === 0, 60_000).catch(() => undefined);
    }
    await agent?.stop();
    await server?.stop();
    cleanupUnder(dir);
    rmSync(switches, { recursive: true, force: true });
  });

  const endpoints = () => berthJson<{ items: Endpoint[] }>(api, ['get', 'endpoints', 'web']).items;
  const portOf = (e: Endpoint | undefined) => e?.ports.find((p) => p.name === 'web')?.port ?? 0;

  it('lists both instances with their ports (berth get endpoints, GET /v1/endpoints) and shows the DNS address of the node', async () => {
    assert.match(dns, /^127\.0\.0\.1:\d+$/);
    assert.match(berth(api, ['get', 'nodes']).stdout, new RegExp(`DNS[\\s\\S]*${dns.replace(/\./g, '\\.')}`));
    const applied = berth(api, ['apply', '-f', '-'], app(2, switches));
    assert.equal(applied.code, 0, applied.stderr);
    const eps = await waitFor('both endpoints ready', () => {
      const e = endpoints();
      return e.length === 2 && e.every((x) => x.ready) ? e : undefined;
    });
    assert.deepEqual(
      eps.map((e) => [e.taskId, e.nodeId, e.address, e.ports.map((p) => p.name)]),
      [
        ['web-0', 'p1', '127.0.0.1', ['web']],
        ['web-1', 'p1', '127.0.0.1', ['web']],
      ],
    );
    const table = berth(api, ['get', 'endpoints']);
    assert.match(table.stdout, /^APP\s+INSTANCE\s+TASK\s+NODE\s+ADDRESS\s+PORTS\s+READY/);
    for (const e of eps) assert.match(table.stdout, new RegExp(`web\\s+${e.instance}\\s+${e.taskId}\\s+p1\\s+127\\.0\\.0\\.1\\s+web=${portOf(e)}\\s+true`));
    // The API lists one app's with ?app=, and refuses what it does not know.
    const listed = (await (await apiFetch(api, '/v1/endpoints?app=web')).json()) as { items: Endpoint[] };
    assert.deepEqual(listed.items, eps);
    assert.equal(((await (await apiFetch(api, '/v1/endpoints?app=nope')).json()) as { items: Endpoint[] }).items.length, 0);
    assert.equal((await apiFetch(api, '/v1/endpoints?apps=web')).status, 400);
    // A client reaches each instance at the address and port listed.
    for (const e of eps) assert.equal(await waitFor(`answer on ${portOf(e)}`, () => ask(portOf(e)).catch(() => undefined)), e.taskId);
  });

  it('answers A and SRV over UDP for web.berth, 0.web.berth and _web._tcp.web.berth; NXDOMAIN and REFUSED otherwise', async () => {
    const eps = endpoints();
    const [p0, p1] = [portOf(eps[0]), portOf(eps[1])];
    const app = await waitFor('web.berth answered', async () => {
      const a = await query(dns, 'web.berth', 'SRV');
      return (a.answers ?? []).length === 2 ? a : undefined;
    });
    assert.deepEqual(srv(app), [`0.web.berth:${p0}`, `1.web.berth:${p1}`].sort());
    assert.deepEqual(srv(await query(dns, '_web._tcp.web.berth', 'SRV')), [`0.web.berth:${p0}`, `1.web.berth:${p1}`].sort());
    // Both instances run on one node: one address (RFC 2181 has no duplicate records); SRV tells them apart.
    assert.deepEqual(addresses(await query(dns, 'web.berth', 'A')), ['127.0.0.1']);
    const one = await query(dns, '0.web.berth', 'A');
    assert.ok(one.flag_aa);
    assert.deepEqual(addresses(one), ['127.0.0.1']);
    assert.deepEqual(srv(await query(dns, '_web._tcp.1.web.berth', 'SRV')), [`1.web.berth:${p1}`]);
    // What SRV names is where the instance answers.
    const target = (await query(dns, '_web._tcp.0.web.berth', 'SRV')).answers?.[0];
    assert.equal(target?.type === 'SRV' ? await ask(target.data.port) : '', 'web-0');
    assert.equal(rcode(await query(dns, 'nope.berth', 'A')), 3); // NXDOMAIN
    assert.equal(rcode(await query(dns, '7.web.berth', 'A')), 3);
    assert.equal(rcode(await query(dns, 'example.com', 'A')), 5); // REFUSED
  });

  it('leaves out an instance whose readiness check fails, and takes it back once it passes', async () => {
    writeFileSync(join(switches, 'unready-1'), '');
    await waitFor('1.web.berth gone from DNS', async () => rcode(await query(dns, '1.web.berth', 'A')) === 3, 30_000);
    assert.deepEqual(srv(await query(dns, 'web.berth', 'SRV')), [`0.web.berth:${portOf(endpoints()[0])}`]);
    assert.deepEqual(
      endpoints().map((e) => [e.taskId, e.ready]),
      [
        ['web-0', true],
        ['web-1', false],
      ],
    );
    assert.match(berth(api, ['get', 'endpoints', 'web']).stdout, /web-1\s+p1\s+127\.0\.0\.1\s+web=\d+\s+false/);
    rmSync(join(switches, 'unready-1'));
    await waitFor('1.web.berth back in DNS', async () => addresses(await query(dns, '1.web.berth', 'A')).length === 1, 30_000);
  });

  it('follows a scale-down within about a second: DNS and a blocking query of /v1/endpoints', async () => {
    const first = await apiFetch(api, '/v1/endpoints?app=web');
    const index = Number(first.headers.get('x-berth-index'));
    // Held until something changes: the scale-down below.
    const blocking = apiFetch(api, `/v1/endpoints?app=web&index=${index}&waitMs=30000`).then((r) => r.json() as Promise<{ items: Endpoint[] }>);
    assert.equal(berth(api, ['scale', 'web', '1']).code, 0);
    const scaled = Date.now();
    await waitFor('1.web.berth NXDOMAIN', async () => rcode(await query(dns, '1.web.berth', 'A')) === 3, 10_000);
    const took = Date.now() - scaled;
    assert.ok(took < 2000, `DNS followed the scale-down after ${took} ms`);
    assert.deepEqual(
      (await blocking).items.map((e) => e.taskId),
      ['web-0'],
    );
    assert.deepEqual(srv(await query(dns, 'web.berth', 'SRV')), [`0.web.berth:${portOf(endpoints()[0])}`]);
  });
});
