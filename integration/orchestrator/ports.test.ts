import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { cleanupUnder } from '../harness/cleanup';
import { berth, berthJson, type Daemon, freePort, serverFiles, startDaemon, useServerToken, waitFor } from '../harness/cluster';
import { tempDir } from '../harness/fs-helpers';

interface Task {
  id: string;
  app: string;
  nodeId?: string;
  state: string;
  hostPorts?: { name: string; port: number }[];
  rejections?: { nodeId: string; reason: string; message: string }[];
}

/** A tiny TCP server on $BERTH_PORT_WEB that answers with who it is and where it was told it is reachable. */
const SERVE = [
  "const n=require('node:net');",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: JavaScript source the task runs, not a template of this file
  'n.createServer((s)=>s.end(`${process.env.BERTH_APP}-${process.env.BERTH_INSTANCE} ${process.env.BERTH_NODE_ADDRESS}:${process.env.BERTH_HOST_PORT_WEB}\\n`))',
  ".listen(Number(process.env.BERTH_PORT_WEB),'127.0.0.1');",
].join('');

const app = (name: string, instances: number, port: string) => `
kind: App
name: ${name}
spec:
  runtime: process
  instances: ${instances}
  command: [${JSON.stringify(process.execPath)}, "-e", ${JSON.stringify(SERVE)}]
  resources: { cpu: 0.05, memory: 32Mi }
  ports: [${port}]
`;

/** What a TCP server on 127.0.0.1:`port` says on connect. */
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

describe('host ports on the process runtime: server, one agent, tasks serving TCP on their ports', function () {
  this.timeout(180_000);
  const dir = tempDir('ports');
  // A range of its own, away from other tests' ports; small, so the test covers its bounds.
  const first = 42000 + Math.floor(Math.random() * 900) * 10;
  const range = `${first}-${first + 9}`;
  let api: string;
  let serverArgs: string[];
  let server: Daemon;
  let agent: Daemon;

  before(async () => {
    const [port, agentPort] = [await freePort(), await freePort()];
    api = `http://127.0.0.1:${port}`;
    const agentAddress = `127.0.0.1:${agentPort}`;
    serverArgs = ['server', '--data-dir', join(dir, 'server'), '--listen', `127.0.0.1:${port}`, '--agent-listen', agentAddress, '--host-ports', range];
    server = startDaemon(serverArgs);
    useServerToken(api, join(dir, 'server'));
    await waitFor('server', () => berth(api, ['get', 'nodes']).code === 0);
    const joinToken = serverFiles(join(dir, 'server')).joinToken;
    agent = startDaemon([
      'agent',
      '--join',
      agentAddress,
      '--join-token-file',
      joinToken,
      '--node-id',
      'p1',
      '--state-dir',
      join(dir, 'agent'),
      '--runtime',
      'process',
    ]);
    await waitFor('node p1 ready', () => berthJson<{ items: { id: string; state: string }[] }>(api, ['get', 'nodes']).items.some((n) => n.state === 'ready'));
  });

  after(async () => {
    if (api) {
      for (const name of ['web', 'fixed']) berth(api, ['delete', 'app', name]);
      await waitFor('tasks gone', () => tasks().length === 0, 60_000).catch(() => undefined);
    }
    await agent?.stop();
    await server?.stop();
    cleanupUnder(dir);
  });

  const tasks = () => berthJson<{ items: Task[] }>(api, ['get', 'tasks']).items;
  const running = (name: string, n: number) => () => {
    const mine = tasks().filter((t) => t.app === name && t.state === 'running');
    return mine.length === n ? mine.sort((a, b) => a.id.localeCompare(b.id)) : undefined;
  };

  it('gives each instance its own port from the range, in BERTH_PORT_WEB, reachable on 127.0.0.1', async () => {
    const applied = berth(api, ['apply', '-f', '-'], app('web', 2, '{ name: web }'));
    assert.equal(applied.code, 0, applied.stderr);
    const [t0, t1] = (await waitFor('web running', running('web', 2))) as [Task, Task];
    const ports = [t0, t1].map((t) => t.hostPorts?.find((p) => p.name === 'web')?.port ?? 0);
    assert.notEqual(ports[0], ports[1]);
    for (const p of ports) assert.ok(p >= first && p <= first + 9, `${p} in ${range}`);
    // The task may still be binding right after it is reported running.
    const answers = await Promise.all(ports.map((p) => waitFor(`answer on ${p}`, () => ask(p).catch(() => undefined))));
    assert.deepEqual(answers, [`web-0 127.0.0.1:${ports[0]}`, `web-1 127.0.0.1:${ports[1]}`]);
    const table = berth(api, ['get', 'tasks']);
    assert.match(table.stdout, /PORTS/);
    assert.match(table.stdout, new RegExp(`web-0 .*web=${ports[0]}`));
    assert.match(berth(api, ['describe', 'app', 'web']).stdout, new RegExp(`web-1  running on p1  ports web=${ports[1]}`));
  });

  it('keeps an app fixing a taken host port pending with the named reason, also after a server restart (ports re-asserted)', async () => {
    const taken = tasks().find((t) => t.id === 'web-0')!.hostPorts![0]!.port;
    const before = tasks().map((t) => `${t.id}:${JSON.stringify(t.hostPorts)}`);
    assert.equal(berth(api, ['apply', '-f', '-'], app('fixed', 1, `{ name: web, hostPort: ${taken} }`)).code, 0);
    const expected = `host port ${taken} (web) in use on node p1`;
    const pending = await waitFor('fixed pending with its reason', () => tasks().find((t) => t.id === 'fixed-0' && t.rejections?.length === 1));
    assert.equal(pending.state, 'pending');
    assert.deepEqual(pending.rejections, [{ nodeId: 'p1', reason: 'host-port', message: expected }]);
    assert.match(berth(api, ['describe', 'app', 'fixed']).stdout, new RegExp(`node p1: host-port: ${expected.replace(/[()]/g, '\\$&')}`));

    await server.stop();
    server = startDaemon(serverArgs);
    await waitFor('server back', () => berth(api, ['get', 'nodes']).code === 0);
    // Placement passes run after the restart: the rebuilt ledger must still hold web-0's port.
    await new Promise((r) => setTimeout(r, 3000));
    const after = tasks();
    assert.equal(after.find((t) => t.id === 'fixed-0')?.state, 'pending');
    assert.deepEqual(
      after.filter((t) => t.app === 'web').map((t) => `${t.id}:${JSON.stringify(t.hostPorts)}`),
      before.filter((t) => t.startsWith('web-')),
    );
    assert.equal(await ask(taken), `web-0 127.0.0.1:${taken}`);
  });
});
