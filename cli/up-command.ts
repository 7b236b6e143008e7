import { Command } from 'commander';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../lib/exec/run';
import { createLogger } from '../lib/logging/logger';
import { startLocalPlugin } from '../plugins/local/main';
import type { PoolSpec } from '../plugins/local/pool-spec';
import { parseSize } from '../plugins/local/pool-spec';
import { startServer } from '../server/server';
import { API_TOKEN_FILE, JOIN_TOKEN_FILE } from '../server/credentials';
import { readSecretFile } from '../lib/auth/secrets';
import { dockerAnswers, startAgent } from '../agent/start';
import { dockerAvailable, startDockerd, type DockerdHandle } from '../agent/runtime/private-dockerd';
import { DEFAULT_TASK_SUBNET } from '../agent/executors/docker-network';
import { secretFrom, untilSignal } from './daemon-commands';
import { demoManifest } from './demo-manifest';

const NODE_ID = 'local';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** btrfs when this machine can make one (root + mkfs.btrfs), else a dir pool — said out loud. */
function choosePool(dataDir: string, sizeBytes: number): PoolSpec {
  const canBtrfs = process.getuid?.() === 0 && ['/sbin/mkfs.btrfs', '/usr/sbin/mkfs.btrfs', '/usr/bin/mkfs.btrfs'].some(existsSync);
  if (canBtrfs) return { name: 'default', kind: 'btrfs-file', image: join(dataDir, 'pools', 'default.img'), sizeBytes };
  say('up: no root or no mkfs.btrfs: using a plain directory pool (volume sizes accounted, not enforced)');
  return { name: 'default', kind: 'dir', path: join(dataDir, 'pools', 'default') };
}

/**
 * `berth up`: a whole single-node cluster on this machine — local CSI plugin on a loop-backed btrfs
 * pool, server with its SQLite store, one agent — all under one data dir, plus a demo stateful app.
 * Docker: the system dockerd if it answers, else a private one started here, else the process runtime.
 */
export function upCommand(): Command {
  return new Command('up')
    .description('run a single-node Berth on this machine (server + agent + local CSI plugin) with a demo stateful app')
    .option('--data-dir <dir>', 'everything Berth keeps', '/var/lib/berth')
    .option('--pool-size <size>', 'size of the loop-backed btrfs pool (sparse)', '4Gi')
    .option('--listen <host:port>', 'HTTP API address', '127.0.0.1:7420')
    .option('--agent-listen <host:port>', 'agent endpoint address', '127.0.0.1:7421')
    .option('--token-file <path>', 'a further API token to take, besides <data-dir>/server/api-token (default: $BERTH_TOKEN)')
    .option('--runtime <kind>', 'auto (docker if possible), docker or process', 'auto')
    .option('--docker-subnet <cidr>', 'subnet of the bridge network docker tasks join (created if missing)', DEFAULT_TASK_SUBNET)
    .option('--no-demo', 'do not apply the demo app')
    .option('--once', 'run the demo, print what happened, stop everything and exit')
    .action(
      async (opts: {
        dataDir: string;
        poolSize: string;
        listen: string;
        agentListen: string;
        tokenFile?: string;
        runtime: string;
        dockerSubnet: string;
        demo: boolean;
        once?: boolean;
      }) => {
        // `up` talks to a person: components log warnings only, unless BERTH_LOG_LEVEL says otherwise.
        process.env.BERTH_LOG_LEVEL ??= 'warn';
        const log = createLogger('berth.up');
        const dataDir = opts.dataDir;
        mkdirSync(join(dataDir, 'pools'), { recursive: true, mode: 0o700 });
        const stops: (() => Promise<void> | void)[] = [];
        let stopped = false;
        const stopAll = async () => {
          if (stopped) return;
          stopped = true;
          for (const s of [...stops].reverse()) await s();
        };
        try {
          const pool = choosePool(dataDir, parseSize(opts.poolSize));
          const socket = join(dataDir, 'plugins', 'local.sock');
          const plugin = await startLocalPlugin({
            nodeId: NODE_ID,
            pools: [pool],
            socket,
            stateDir: join(dataDir, 'plugins', 'local'),
            defaultVolumeBytes: parseSize('1Gi'),
            maxVolumesPerNode: 0,
            handleSignals: false,
          });
          stops.push(async () => {
            await plugin.stop();
            // The pool stays mounted across plugin restarts; `up` owns this one and nothing uses it any more.
            if (pool.kind === 'btrfs-file') await run('umount', [join(dataDir, 'plugins', 'local', 'pools', 'default')]).catch(() => undefined);
          });
          say(`up: local CSI plugin (berth.local) on ${socket}, pool "default" (${pool.kind})`);
          const pluginDir = join(dataDir, 'agent', 'plugins');
          mkdirSync(pluginDir, { recursive: true, mode: 0o700 });
          writeFileSync(
            join(pluginDir, 'berth.local.json'),
            JSON.stringify({ endpoint: `unix://${socket}`, pools: [{ name: 'default', parameters: { pool: 'default' } }] }, null, 2),
            { mode: 0o600 },
          );

          const server = await startServer({
            dataDir: join(dataDir, 'server'),
            listen: opts.listen,
            agentListen: opts.agentListen,
            token: secretFrom('--token-file', opts.tokenFile, 'BERTH_TOKEN'),
            log: log.child({ c: 'server' }),
          });
          stops.push(() => server.stop());
          say(`up: server API ${server.url} (SQLite in ${join(dataDir, 'server')})`);

          let runtime = opts.runtime;
          let dockerSocket = '/var/run/docker.sock';
          let dockerd: DockerdHandle | undefined;
          if (runtime !== 'process' && !(await dockerAnswers(dockerSocket))) {
            const avail = dockerAvailable();
            if (avail.ok) {
              dockerd = await startDockerd(join(dataDir, 'docker'));
              dockerSocket = dockerd.socket;
              stops.push(() => dockerd!.stop());
              say(`up: no dockerd was running: started a private one (${dockerSocket}) and imported busybox:local`);
            } else if (runtime === 'docker') {
              throw new Error(`--runtime docker, but no dockerd answers and none can be started: ${avail.reason}`);
            } else {
              say(`up: no Docker here (${avail.reason}): tasks run as plain processes (no container isolation)`);
              runtime = 'process';
            }
          }
          const agent = await startAgent({
            nodeId: NODE_ID,
            server: server.agentAddress,
            listen: '127.0.0.1:0',
            pluginDir,
            stateDir: join(dataDir, 'agent'),
            runtime: runtime === 'process' ? 'process' : 'docker',
            dockerSocket,
            dockerSubnet: opts.dockerSubnet,
            labels: {},
            // In-process: the join token goes from the server's file to the agent without argv or environment.
            joinToken: readSecretFile(join(dataDir, 'server', JOIN_TOKEN_FILE)),
            log: log.child({ c: 'agent' }),
          });
          // Tasks die with a private dockerd anyway: stop them and detach their volumes cleanly first.
          stops.push(() => (dockerd || agent.runtime === 'process' ? agent.drain() : agent.stop()));
          say(
            `up: agent "${NODE_ID}" running tasks with the ${agent.runtime} runtime${agent.dnsAddress ? `, DNS for .berth names on ${agent.dnsAddress}` : ''}`,
          );

          for (let i = 0; i < 100 && server.ctx.store.nodes.get(NODE_ID)?.state !== 'ready'; i++) await sleep(100);
          if (opts.demo) {
            const applied = await server.service.apply(demoManifest(agent.runtime), false);
            say(`up: demo applied: ${applied.map((a) => `${a.kind.toLowerCase()}/${a.name} ${a.action}`).join(', ')}`);
            const deadline = Date.now() + 120_000;
            let task = server.ctx.store.tasks.get('demo-0');
            while (task?.state !== 'running' && Date.now() < deadline) {
              await sleep(200);
              task = server.ctx.store.tasks.get('demo-0');
            }
            if (task?.state !== 'running') throw new Error(`demo task did not start: ${task?.message ?? task?.state ?? 'not created'}`);
            const claim = server.ctx.store.claims.get('demo/data/0');
            const volume = claim?.volumeId ? server.ctx.store.volumes.get(claim.volumeId) : undefined;
            await sleep(500);
            const logs = await server.service.taskLogs('demo-0').catch((e: Error) => `(no logs: ${e.message})`);
            say(`up: demo-0 is running on node ${task.nodeId} with volume ${volume?.id} (${volume?.csiVolumeId}, ${volume?.capacityBytes} bytes)`);
            say(
              `up: demo-0 says:\n${logs
                .trimEnd()
                .split('\n')
                .map((l) => `    ${l}`)
                .join('\n')}`,
            );
          }
          if (opts.once) {
            say('up: --once: stopping (data stays in the data dir; the next `berth up` finds it again)');
            await stopAll();
            return;
          }
          say(`up: API token in ${join(dataDir, 'server', API_TOKEN_FILE)} (0600: the CLI reads it as root; others need --token-file or BERTH_TOKEN)`);
          say(`Berth is up. Try: node dist/cli/main.js get apps · get tasks · get volumes · describe app demo · logs demo-0   (Ctrl-C stops)`);
          await untilSignal(stopAll);
        } catch (error) {
          await stopAll();
          throw error;
        }
      },
    );
}
