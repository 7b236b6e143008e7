import assert from 'node:assert/strict';
import { request } from 'node:http';
import { DockerExecutor } from '../../agent/executors/docker';
import { DEFAULT_TASK_NETWORK, ensureTaskNetwork } from '../../agent/executors/docker-network';
import type { TaskSpec } from '../../agent/executors/executor';
import { overlaps, parseSubnet } from '../../agent/executors/subnet';
import { runProbe } from '../../agent/health/probes';
import { BUSYBOX_IMAGE } from '../../agent/runtime/private-dockerd';
import { berth, berthJson, startCluster, type TestCluster, waitFor } from '../harness/cluster';
import { dockerAvailable, skipWithoutDocker } from '../harness/dockerd';
import { taskSubnetFor } from '../harness/task-subnet';

interface Task {
  id: string;
  app: string;
  state: string;
  health?: string;
  hostPorts?: { name: string; port: number }[];
  containerAddress?: string;
}

/** busybox httpd on port 80, answering with the task's own name. */
const SERVE = 'mkdir -p /www && echo "$BERTH_APP-$BERTH_INSTANCE" > /www/index.html && exec httpd -f -p 80 -h /www';

const WEB = `
kind: App
name: web
spec:
  instances: 2
  runtime: docker
  image: busybox:local
  command: ["sh", "-c", ${JSON.stringify(SERVE)}]
  resources: { cpu: 0.1, memory: 32Mi }
  ports: [{ name: http, containerPort: 80 }]
  readiness: { http: { port: 80, path: / }, interval: 1s }
`;

/** The body of GET http://host:port/ (a fresh connection each time). */
function get(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/', agent: false, timeout: 3_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve(body.trim()));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

const available = dockerAvailable();

describe('the task network: docker tasks on a Berth bridge, ports published on the node, reached by address (real dockerd)', function () {
  this.timeout(300_000);
  let cluster: TestCluster;
  let api: string;
  let subnet: string;

  before(async function () {
    skipWithoutDocker(this, available);
    cluster = await startCluster('net');
    api = cluster.api;
    await cluster.addNode('n1', '256M');
    subnet = taskSubnetFor(cluster.dockerd.socket);
  });

  after(async () => {
    await cluster?.stop();
  });

  const tasks = () => berthJson<{ items: Task[] }>(api, ['get', 'tasks']).items.filter((t) => t.app === 'web');

  it('the agent created the network on its dockerd: a bridge on the configured subnet', async () => {
    const info = await cluster.dockerd.docker.getNetwork(DEFAULT_TASK_NETWORK).inspect();
    assert.equal(info.Driver, 'bridge');
    assert.deepEqual(
      (info.IPAM?.Config ?? []).map((c) => c.Subnet),
      [subnet],
    );
  });

  it('two instances answer on their host ports from the host, and on their addresses from the host and from each other', async () => {
    const applied = berth(api, ['apply', '-f', '-'], WEB);
    assert.equal(applied.code, 0, applied.stderr);
    // Ready: the readiness check reached httpd at the container's address.
    const [t0, t1] = (await waitFor(
      'web-0 and web-1 ready with addresses',
      () => {
        const ts = tasks().sort((a, b) => a.id.localeCompare(b.id));
        return ts.length === 2 && ts.every((t) => t.state === 'running' && t.health === 'healthy' && t.containerAddress) ? ts : undefined;
      },
      120_000,
    )) as [Task, Task];
    const net = parseSubnet(subnet)!;
    for (const t of [t0, t1]) assert.ok(overlaps(parseSubnet(`${t.containerAddress}/32`)!, net), `${t.id} at ${t.containerAddress} in ${subnet}`);
    assert.notEqual(t0.containerAddress, t1.containerAddress);

    // From the host, through each instance's published host port (what `berth get tasks` says).
    const hostPort = (t: Task) => t.hostPorts?.find((p) => p.name === 'http')?.port ?? 0;
    assert.notEqual(hostPort(t0), hostPort(t1));
    assert.equal(await waitFor('web-0 on its host port', () => get('127.0.0.1', hostPort(t0)).catch(() => undefined)), 'web-0');
    assert.equal(await waitFor('web-1 on its host port', () => get('127.0.0.1', hostPort(t1)).catch(() => undefined)), 'web-1');
    // From the host, at the container's address on the bridge (no publishing needed).
    assert.equal(await get(t0.containerAddress!, 80), 'web-0');
    assert.equal(await get(t1.containerAddress!, 80), 'web-1');

    // Container to container on the bridge: web-1 fetches web-0's page and web-0 web-1's.
    const fetchFrom = async (from: string, address: string) => {
      const exec = await cluster.dockerd.docker
        .getContainer(`berth-${from}`)
        .exec({ Cmd: ['wget', '-q', '-O', '-', `http://${address}/`], AttachStdout: true });
      const stream = await exec.start({ hijack: true, stdin: false });
      let out = '';
      stream.on('data', (c: Buffer) => {
        out += c.toString('latin1');
      });
      await new Promise((r) => stream.on('end', r));
      return out;
    };
    assert.match(await fetchFrom('web-1', t0.containerAddress!), /web-0/);
    assert.match(await fetchFrom('web-0', t1.containerAddress!), /web-1/);

    const described = berth(api, ['describe', 'app', 'web']).stdout;
    assert.match(described, new RegExp(`web-0  running  healthy on n1  ports http=${hostPort(t0)}  address ${t0.containerAddress!.replace(/\./g, '\\.')}`));
  });

  it('creating the network again is a no-op; the same name on another subnet, or a subnet the host routes, is refused with the reason', async () => {
    const docker = cluster.dockerd.docker;
    assert.equal(await ensureTaskNetwork(docker, { name: DEFAULT_TASK_NETWORK, subnet }), DEFAULT_TASK_NETWORK);
    await assert.rejects(
      ensureTaskNetwork(docker, { name: DEFAULT_TASK_NETWORK, subnet: '10.99.0.0/24' }),
      new RegExp(`docker network berth exists as a bridge network on ${subnet}, not a bridge on 10\\.99\\.0\\.0/24: remove it .* --docker-subnet ${subnet}`),
    );
    const routes = [{ iface: 'eth9', subnet: parseSubnet('10.98.0.0/16')! }];
    await assert.rejects(
      ensureTaskNetwork(docker, { name: 'berth-other', subnet: '10.98.4.0/24', routes }),
      /--docker-subnet 10\.98\.4\.0\/24 overlaps the host's route to 10\.98\.0\.0\/16 \(dev eth9\)/,
    );
    await assert.rejects(ensureTaskNetwork(docker, { name: 'berth-other', subnet: '10.98.4.1/24' }), /is not an IPv4 subnet/);
  });

  it('health probes: at the address on the task network when there is one, else inside the network namespace (network none)', async () => {
    const spec = (taskId: string): TaskSpec => ({
      taskId,
      app: 'probe',
      instance: 0,
      image: BUSYBOX_IMAGE,
      command: ['sh', '-c', SERVE],
      env: {},
      mounts: [],
      devices: [],
      cpu: 0,
      memoryBytes: 0,
      labels: {},
    });
    const probe = { kind: 'http' as const, port: 80, path: '/' };
    const bridged = new DockerExecutor({ socketPath: cluster.dockerd.socket, nodeId: 'probe-net', networkMode: DEFAULT_TASK_NETWORK });
    const isolated = new DockerExecutor({ socketPath: cluster.dockerd.socket, nodeId: 'probe-none', networkMode: 'none' });
    try {
      const started = await bridged.start(spec('probe-net'));
      assert.ok(started.address, 'a running container on the network has its address in its status');
      const onNetwork = await bridged.address('probe-net');
      assert.deepEqual(onNetwork, { host: started.address });
      const target = (ex: DockerExecutor, id: string) => ({ exec: () => Promise.reject(new Error('unused')), address: () => ex.address(id) });
      assert.deepEqual(
        await waitFor('bridged probe', async () => ((await runProbe(probe, target(bridged, 'probe-net'), 2_000)).ok ? { ok: true } : undefined)),
        {
          ok: true,
        },
      );

      const none = await isolated.start(spec('probe-none'));
      assert.equal(none.address, undefined);
      const inside = await isolated.address('probe-none');
      assert.equal(inside.host, '127.0.0.1');
      assert.match(inside.netns ?? '', /^\/proc\/\d+\/ns\/net$/);
      assert.deepEqual(
        await waitFor('probe in netns', async () => ((await runProbe(probe, target(isolated, 'probe-none'), 2_000)).ok ? { ok: true } : undefined)),
        {
          ok: true,
        },
      );
    } finally {
      await bridged.remove('probe-net').catch(() => undefined);
      await isolated.remove('probe-none').catch(() => undefined);
    }
  });
});
