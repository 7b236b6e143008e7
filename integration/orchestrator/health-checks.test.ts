import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { berth, berthJson, freePort, startCluster, startNode, TestCluster, waitFor } from '../harness/cluster';
import { dockerAvailable, skipWithoutDocker } from '../harness/dockerd';

interface Task {
  id: string;
  state: string;
  generation: number;
  restarts: number;
  message?: string;
  health?: string;
  healthMessage?: string;
}
interface Event {
  object: string;
  reason: string;
  message: string;
}

/**
 * A tiny HTTP server: /ready answers 503 while `$CONTROL.unready` exists, /live answers 500 while
 * `$CONTROL.dead` exists. The files are the test's switches.
 */
const SERVER = `
const fs = require('fs');
require('http').createServer((req, res) => {
  const off = req.url === '/ready' ? fs.existsSync(process.env.CONTROL + '.unready') : req.url === '/live' ? fs.existsSync(process.env.CONTROL + '.dead') : false;
  res.statusCode = off ? (req.url === '/ready' ? 503 : 500) : 200;
  res.end();
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

const available = dockerAvailable();

describe('health checks: readiness shown per task, a failing liveness check restarts the task, rollouts wait for readiness (process runtime), and docker probes', function () {
  this.timeout(300_000);
  let cluster: TestCluster;
  let api: string;
  let control: string;
  let controlDir: string | undefined;
  interface NodeTask extends Task {
    nodeId?: string;
  }
  let port: number;

  before(async function () {
    skipWithoutDocker(this, available);
    cluster = await startCluster('health');
    api = cluster.api;
    const node = await startNode(cluster.dir, 'p1', {
      poolSize: '256M',
      agentServer: cluster.agentAddress,
      joinTokenFile: cluster.joinTokenFile,
      runtime: 'process',
    });
    cluster.nodes.push(node);
    await waitFor('node p1 ready', () =>
      berthJson<{ items: { id: string; state: string }[] }>(api, ['get', 'nodes']).items.some((n) => n.id === 'p1' && n.state === 'ready'),
    );
    // Not under /tmp: a process task has a private /tmp of its own and would never see the switches.
    controlDir = mkdtempSync('/var/tmp/berth-health-');
    control = join(controlDir, 'control');
    port = await freePort();
  });

  after(async () => {
    // Process tasks outlive their agent: delete the apps so nothing keeps running after the test.
    if (api) {
      for (const name of ['web', 'roll', 'box', 'nope']) berth(api, ['delete', 'app', name]);
      await waitFor('tasks gone', () => berthJson<{ items: unknown[] }>(api, ['get', 'tasks']).items.length === 0, 90_000).catch(() => undefined);
    }
    await cluster?.stop();
    if (controlDir) rmSync(controlDir, { recursive: true, force: true });
  });

  const task = (id: string) => berthJson<{ items: NodeTask[] }>(api, ['get', 'tasks']).items.find((t) => t.id === id);
  const events = (app: string) => berthJson<{ events: Event[] }>(api, ['describe', 'app', app]).events;
  const web = () => `
kind: App
name: web
spec:
  runtime: process
  command: [${JSON.stringify(process.execPath)}, "-e", ${JSON.stringify(SERVER)}]
  env: { CONTROL: ${JSON.stringify(control)}, PORT: "${port}" }
  resources: { cpu: 0.1, memory: 64Mi }
  stop: { gracePeriod: 2s }
  readiness: { http: { port: ${port}, path: /ready }, interval: 1s }
  liveness: { http: { port: ${port}, path: /live }, interval: 1s, failureThreshold: 2 }
`;

  it('a task becomes ready once its readiness check passes, and not ready while it fails', async () => {
    writeFileSync(`${control}.unready`, '');
    assert.equal(berth(api, ['apply', '-f', '-'], web()).code, 0);
    await waitFor('web-0 running but not ready', () => task('web-0')?.state === 'running' && task('web-0')?.health === 'unhealthy', 60_000);
    assert.match(task('web-0')!.healthMessage ?? '', new RegExp(`^readiness: GET :${port}/ready answered 503$`));
    rmSync(`${control}.unready`);
    await waitFor('web-0 ready', () => task('web-0')?.health === 'healthy', 30_000);
    const table = berth(api, ['get', 'tasks']);
    assert.match(table.stdout, /HEALTH/);
    assert.match(table.stdout, /web-0\s+web\s+p1\s+running\s+healthy/);
    const reasons = events('web')
      .filter((e) => e.object === 'task/web-0')
      .map((e) => e.reason);
    for (const r of ['NotReady', 'Ready']) assert.ok(reasons.includes(r), `event ${r} in ${reasons.join(', ')}`);
  });

  it('a failing liveness check restarts the task with the reason in its message and events', async () => {
    const before = task('web-0')!.restarts;
    writeFileSync(`${control}.dead`, '');
    await waitFor('web-0 restarted', () => (task('web-0')?.restarts ?? 0) > before, 60_000);
    rmSync(`${control}.dead`);
    const why = `liveness check failed 2 times in a row (GET :${port}/live answered 500)`;
    await waitFor('web-0 ready again after its restart', () => task('web-0')?.state === 'running' && task('web-0')?.health === 'healthy', 60_000);
    const t = task('web-0')!;
    assert.equal(t.message, `restarted because its ${why}`);
    // The last failure may since be one of the new run's first probes, sent before its server listened.
    assert.match(
      t.healthMessage ?? '',
      new RegExp(`^(liveness: GET :${port}/live answered 500|(liveness|readiness): GET :${port}/(live|ready): connection refused)$`),
    );
    const messages = events('web').map((e) => `${e.reason}: ${e.message}`);
    assert.ok(messages.includes(`CheckFailed: liveness: GET :${port}/live answered 500`), messages.join('\n'));
    assert.ok(
      messages.some((m) => m === `Notice: ${why}; stopping it to restart it`),
      messages.join('\n'),
    );
    assert.ok(
      messages.some((m) => m.startsWith('Restarted: ')),
      messages.join('\n'),
    );
    const described = berth(api, ['describe', 'app', 'web']).stdout;
    assert.match(described, /web-0 {2}running {2}healthy on p1 {2}restarts \d+ {2}— restarted because its liveness check failed/);
    assert.match(described, /\n {6}last check failure: (liveness|readiness): GET /);
  });

  it('a rolling update moves to the next instance only once the rolled one is ready', async () => {
    const gate = `${control}.hold`;
    const app = (version: string) => `
kind: App
name: roll
spec:
  instances: 2
  runtime: process
  command: ["sh", "-c", "exec sleep 100000"]
  env: { VERSION: "${version}", GATE: ${JSON.stringify(gate)} }
  resources: { cpu: 0.1, memory: 32Mi }
  stop: { gracePeriod: 1s }
  readiness: { exec: ["sh", "-c", "test ! -e \\"$GATE-$BERTH_INSTANCE\\""], interval: 1s }
`;
    const tasks = () =>
      berthJson<{ items: Task[] }>(api, ['get', 'tasks'])
        .items.filter((t) => t.id.startsWith('roll-'))
        .sort((a, b) => a.id.localeCompare(b.id));
    assert.equal(berth(api, ['apply', '-f', '-'], app('v1')).code, 0);
    await waitFor('roll ready', () => tasks().length === 2 && tasks().every((t) => t.health === 'healthy'), 60_000);
    // The new generation of instance 0 will not be ready until its gate goes.
    writeFileSync(`${gate}-0`, '');
    assert.equal(berth(api, ['apply', '-f', '-'], app('v2')).code, 0);
    await waitFor('roll-0 on generation 2, not ready', () => {
      const t = tasks()[0]!;
      return t.generation === 2 && t.state === 'running' && t.health === 'unhealthy';
    });
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(tasks()[1]!.generation, 1, 'roll-1 waits while roll-0 is not ready');
    assert.equal(tasks()[1]!.health, 'healthy', 'and keeps serving');
    rmSync(`${gate}-0`);
    await waitFor('both on generation 2 and ready', () => tasks().every((t) => t.generation === 2 && t.health === 'healthy'), 60_000);
  });

  it('docker runtime: http and tcp checks reach a container (at its address on the task network), exec runs in it', async () => {
    await cluster.addNode('d1', '256M');
    const app = (name: string, path: string) => `
kind: App
name: ${name}
spec:
  image: busybox:local
  command: ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www"]
  resources: { cpu: 0.1, memory: 32Mi }
  readiness: { http: { port: 8080, path: ${path} }, interval: 1s, failureThreshold: 2 }
  liveness: { tcp: { port: 8080 }, interval: 1s, failureThreshold: 5, initialDelay: 2s }
`;
    assert.equal(berth(api, ['apply', '-f', '-'], app('box', '/')).code, 0);
    assert.equal(berth(api, ['apply', '-f', '-'], app('nope', '/nope')).code, 0);
    await waitFor('box ready', () => task('box-0')?.health === 'healthy', 120_000);
    await waitFor('nope not ready', () => task('nope-0')?.health === 'unhealthy', 60_000);
    assert.equal(task('nope-0')!.healthMessage, 'readiness: GET :8080/nope answered 404');
    await new Promise((r) => setTimeout(r, 4_000));
    assert.equal(task('box-0')!.restarts, 0, 'its liveness check passes');
    assert.equal(task('box-0')!.nodeId, 'd1');
    const exec = `
kind: App
name: box
spec:
  image: busybox:local
  command: ["sh", "-c", "exec sleep 100000"]
  resources: { cpu: 0.1, memory: 32Mi }
  readiness: { exec: ["test", "-e", "/tmp/ready"], interval: 1s }
`;
    assert.equal(berth(api, ['apply', '-f', '-'], exec).code, 0);
    await waitFor('box on generation 2, not ready', () => task('box-0')?.generation === 2 && task('box-0')?.health === 'unhealthy', 60_000);
    assert.equal(task('box-0')!.healthMessage, 'readiness: exec test -e /tmp/ready exited with code 1');
  });
});
