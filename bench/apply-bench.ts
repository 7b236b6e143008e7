import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupUnder } from '../integration/harness/cleanup';
import { apiFetch, berth, freePort, serverFiles, startDaemon, startNode, useServerToken, waitFor } from '../integration/harness/cluster';
import { startDockerd } from '../integration/harness/dockerd';
import { tempDir } from '../integration/harness/fs-helpers';
import type { BenchResult } from './main';
import { fmtMs, percentile, timeMs } from './stats';

const RUNS = 20;
/** Writes to its volume, then idles; exits at once on SIGTERM, so a stop never waits out a grace period. */
const COMMAND = ['sh', '-c', "trap 'exit 0' TERM; echo hi > /data/x; sleep 100000 & wait"];
/**
 * The task's limits, given to the bare run too: both start the same container. (A fractional CPU
 * limit throttles runc's own start-up inside the cgroup: at 0.1 CPU a start takes ~40 ms longer.)
 */
const LIMITS = ['--cpus', '1', '--memory', '32m'];

const appManifest = (name: string) => `kind: App
name: ${name}
spec:
  image: busybox:local
  command: ${JSON.stringify(COMMAND)}
  resources: { cpu: 1, memory: 32Mi }
  volumes: [{ name: data, mountPath: /data, claim: { storageClass: fast, size: 64Mi } }]
`;

/**
 * apply → running for one task with a fresh local volume (schedule, reserve, CreateVolume, stage,
 * publish, container start, status back at the server), next to a bare `docker run -d` with a bind mount
 * on the same dockerd: the overhead Berth adds to starting a stateful container.
 */
export async function runApplyBench(): Promise<BenchResult> {
  const dir = tempDir('bench-apply');
  const dockerd = await startDockerd(join(dir, 'd'));
  const stops: (() => Promise<unknown>)[] = [() => dockerd.stop()];
  try {
    const docker = (args: string[]) => spawnSync('docker', ['-H', `unix://${dockerd.socket}`, ...args], { encoding: 'utf8' });
    const [port, agentPort] = [await freePort(), await freePort()];
    const api = `http://127.0.0.1:${port}`;
    const server = startDaemon(['server', '--data-dir', join(dir, 'server'), '--listen', `127.0.0.1:${port}`, '--agent-listen', `127.0.0.1:${agentPort}`], {
      BERTH_LOG_LEVEL: 'warn',
    });
    stops.unshift(() => server.stop());
    useServerToken(api, join(dir, 'server'));
    await waitFor('server', () => berth(api, ['get', 'nodes']).code === 0);
    const node = await startNode(dir, 'n1', {
      poolSize: '2G',
      agentServer: `127.0.0.1:${agentPort}`,
      joinTokenFile: serverFiles(join(dir, 'server')).joinToken,
      runtime: 'docker',
      dockerSocket: dockerd.socket,
    });
    stops.unshift(
      () => node.plugin.stop(),
      () => node.agent.stop(),
    );
    await waitFor('node ready', async () =>
      ((await (await apiFetch(api, '/v1/nodes')).json()) as { items: { state: string }[] }).items.some((n) => n.state === 'ready'),
    );
    await apiFetch(api, '/v1/apply', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ manifest: 'kind: StorageClass\nname: fast\nspec: { plugin: berth.local, reclaimPolicy: Delete, parameters: { pool: fast } }\n' }),
    });

    const bareRun = async (i: number) => {
      const host = join(dir, 'bare', String(i));
      mkdirSync(host, { recursive: true });
      const ms = await timeMs(async () => {
        const r = docker(['run', '-d', '--name', `bare${i}`, '-v', `${host}:/data`, ...LIMITS, 'busybox:local', ...COMMAND]);
        if (r.status !== 0) throw new Error(`docker run failed: ${r.stderr}`);
      });
      docker(['rm', '-f', `bare${i}`]);
      return ms;
    };
    const berthRun = async (i: number) => {
      const name = `b${i}`;
      const ms = await timeMs(async () => {
        const res = await apiFetch(api, '/v1/apply', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ manifest: appManifest(name) }),
        });
        if (!res.ok) throw new Error(`apply failed: ${await res.text()}`);
        // A blocking query, as a watching client would: each answer comes once the cluster changed.
        for (let index: number | undefined; ; ) {
          const answer = await apiFetch(api, `/v1/tasks${index === undefined ? '' : `?index=${index}&waitMs=10000`}`);
          index = Number(answer.headers.get('x-berth-index'));
          const tasks = ((await answer.json()) as { items: { id: string; state: string }[] }).items;
          if (tasks.some((t) => t.id === `${name}-0` && t.state === 'running')) break;
        }
      });
      // Like the `docker rm -f` of a bare run, the next run starts only once this one is gone (task and
      // volume), so no teardown competes with the start being measured.
      await apiFetch(api, `/v1/apps/${name}`, { method: 'DELETE' });
      await waitFor(
        `${name} gone`,
        async () => {
          const [tasks, volumes] = await Promise.all(
            ['tasks', 'volumes'].map(async (kind) => ((await (await apiFetch(api, `/v1/${kind}`)).json()) as { items: unknown[] }).items),
          );
          return tasks!.length === 0 && volumes!.length === 0;
        },
        60_000,
      );
      return ms;
    };
    // Alternated, so both see the same machine (dockerd's and the kernel's state drift over a run), each
    // going first every other round, each after a pause that lets the other's teardown settle.
    const bare: number[] = [];
    const viaBerth: number[] = [];
    const settled = async <T>(run: () => Promise<T>): Promise<T> => {
      await new Promise((r) => setTimeout(r, 250));
      return run();
    };
    for (let i = 0; i < RUNS + 2; i++) {
      let b: number;
      let v: number;
      if (i % 2 === 0) {
        b = await settled(() => bareRun(i));
        v = await settled(() => berthRun(i));
      } else {
        v = await settled(() => berthRun(i));
        b = await settled(() => bareRun(i));
      }
      if (i >= 2) {
        bare.push(b);
        viaBerth.push(v);
      }
    }
    const ratio = percentile(viaBerth, 50) / percentile(bare, 50);
    return {
      lines: [
        `bare docker run -d with a bind mount and the same limits (${RUNS} runs): p50 ${fmtMs(percentile(bare, 50))}, p95 ${fmtMs(percentile(bare, 95))}`,
        `berth apply → running, one task with a fresh 64Mi local btrfs volume, 1 CPU, 32Mi (${RUNS} runs): p50 ${fmtMs(percentile(viaBerth, 50))}, p95 ${fmtMs(percentile(viaBerth, 95))}`,
        `ratio apply→running / docker run (p50): ${ratio.toFixed(2)}× (target ≤ 1.25×)`,
      ],
    };
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
    cleanupUnder(dir);
  }
}

if (require.main === module) {
  runApplyBench().then(
    (r) => {
      for (const l of r.lines) console.log(l);
    },
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
