import { Command } from 'commander';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../lib/logging/logger';
import { startServer } from '../server/server';
import { startAgent } from '../agent/start';
import { DEFAULT_TASK_NETWORK, DEFAULT_TASK_SUBNET } from '../agent/executors/docker-network';
import { readSecretFile } from '../lib/auth/secrets';
import { UsageError } from './output';
import { parseBytes, parsePortRange } from '../core/domain';
import type { LogBounds } from '../agent/executors/task-log-files';
import { parseListen } from '../agent/dns/dns-server';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function parseLabels(list: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid label ${JSON.stringify(item)}: expected key=value`);
    labels[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return labels;
}

/** A token from the file an option names, else from the environment variable `envName`. */
/** --task-log-size and --task-log-files, checked. */
function taskLogBounds(size: string, files: string): LogBounds {
  let maxBytes: number;
  try {
    maxBytes = parseBytes(size, '--task-log-size');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (maxBytes < 1024) throw new UsageError(`--task-log-size must be at least 1Ki, got ${size}`);
  if (!/^\d+$/.test(files) || Number(files) < 1 || Number(files) > 100)
    throw new UsageError(`--task-log-files must be a whole number from 1 to 100, got ${files}`);
  return { maxBytes, maxFiles: Number(files) };
}

export function secretFrom(option: string, file: string | undefined, envName: string): string | undefined {
  if (!file) return process.env[envName]?.trim() || undefined;
  try {
    return readSecretFile(file);
  } catch (error) {
    throw new UsageError(`${option} ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Keeps the process alive until SIGINT/SIGTERM, then runs `stop` once. */
export function untilSignal(stop: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    // A second Ctrl-C while stopping must not start a second shutdown.
    const handler = () => {
      if (stopping) return;
      stopping = true;
      void stop().finally(() => resolve());
    };
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
  });
}

export function daemonCommands(): Command[] {
  const server = new Command('server')
    .description('run the control plane: HTTP API, agent endpoint, scheduler and controllers (state in SQLite)')
    .option('--data-dir <dir>', 'where the SQLite store lives', '/var/lib/berth/server')
    .option('--listen <host:port>', 'HTTP API address (every call but /v1/health needs the API token)', '127.0.0.1:7420')
    .option('--agent-listen <host:port>', 'gRPC address agents sync with', '127.0.0.1:7421')
    // Tokens come from files or the environment, never argv (which every local user can read in /proc).
    .option('--token-file <path>', 'a further API token to take, besides <data-dir>/api-token (default: $BERTH_TOKEN)')
    .option('--node-down-after <seconds>', 'a node that has not synced for this long is down', '15')
    .option('--store-key-file <file>', 'key that seals Secret values and repository passphrases in the store (default: store.key in --data-dir)')
    .option('--host-ports <first-last>', "range each node's dynamic host ports are picked from (App ports without a hostPort)", '20000-32767')
    .action(
      async (opts: {
        dataDir: string;
        listen: string;
        agentListen: string;
        tokenFile?: string;
        nodeDownAfter: string;
        storeKeyFile?: string;
        hostPorts: string;
      }) => {
        const seconds = Number(opts.nodeDownAfter);
        if (!(seconds > 0)) throw new UsageError(`--node-down-after must be a positive number of seconds, got ${opts.nodeDownAfter}`);
        const hostPortRange = parsePortRange(opts.hostPorts);
        if (typeof hostPortRange === 'string') throw new UsageError(`--host-ports: ${hostPortRange}`);
        const running = await startServer({
          dataDir: opts.dataDir,
          listen: opts.listen,
          agentListen: opts.agentListen,
          token: secretFrom('--token-file', opts.tokenFile, 'BERTH_TOKEN'),
          nodeDownAfterMs: seconds * 1000,
          storeKeyFile: opts.storeKeyFile,
          hostPortRange,
          log: createLogger('berth.server'),
        });
        process.stdout.write(`berth server: API ${running.url}, agents ${running.agentAddress}\n`);
        await untilSignal(() => running.stop());
      },
    );

  const agent = new Command('agent')
    .description('run the node agent: reports resources and CSI plugins, runs assigned tasks')
    .option('--join <host:port>', "the server's agent endpoint (its --agent-listen)", '127.0.0.1:7421')
    .option(
      '--node-id <id>',
      "this node's id",
      hostname()
        .toLowerCase()
        .replace(/[^a-z0-9-]/g, '-'),
    )
    .option('--listen <host:port>', 'address the server reaches this agent on (logs, exec)', '127.0.0.1:0')
    .option('--plugin-dir <dir>', 'CSI plugin registrations (one JSON file per plugin)')
    .option('--state-dir <dir>', 'agent state: publish targets, task records', '/var/lib/berth/agent')
    .option('--runtime <kind>', 'docker, process, or auto (docker when its socket answers)', 'auto')
    .option('--docker-socket <path>', 'dockerd API socket', '/var/run/docker.sock')
    .option('--docker-network <name>', 'the bridge network docker tasks join, created if missing (none: no network)', DEFAULT_TASK_NETWORK)
    .option('--docker-subnet <cidr>', 'subnet of that network when the agent creates it', DEFAULT_TASK_SUBNET)
    .option('--label <key=value>', 'node label for constraints (repeatable)', collect, [])
    .option('--join-token-file <path>', "the server's join token (its <data-dir>/join-token; default: $BERTH_JOIN_TOKEN), needed until the node has joined")
    .option('--task-log-size <size>', "rotate a task's output file past this size", '10Mi')
    .option('--task-log-files <n>', 'output files kept per task (the one being written included)', '3')
    .option(
      '--dns-listen <host:port>',
      'where this node answers DNS (UDP and TCP) for <app>.berth and <instance>.<app>.berth; port 0: any free one (berth get nodes shows it); none: no DNS',
      '127.0.0.1:0',
    )
    .action(
      async (opts: {
        join: string;
        nodeId: string;
        listen: string;
        pluginDir?: string;
        stateDir: string;
        runtime: string;
        dockerSocket: string;
        dockerNetwork: string;
        dockerSubnet: string;
        label: string[];
        joinTokenFile?: string;
        taskLogSize: string;
        taskLogFiles: string;
        dnsListen: string;
      }) => {
        if (opts.dnsListen !== 'none') {
          const problem = parseListen(opts.dnsListen);
          if (typeof problem === 'string') throw new UsageError(`--dns-listen: ${problem}`);
        }
        if (!['docker', 'process', 'auto'].includes(opts.runtime)) throw new UsageError(`--runtime must be docker, process or auto, got ${opts.runtime}`);
        const running = await startAgent({
          nodeId: opts.nodeId,
          server: opts.join,
          listen: opts.listen,
          pluginDir: opts.pluginDir ?? join(opts.stateDir, 'plugins'),
          stateDir: opts.stateDir,
          runtime: opts.runtime as 'docker' | 'process' | 'auto',
          dockerSocket: opts.dockerSocket,
          dockerNetwork: opts.dockerNetwork,
          dockerSubnet: opts.dockerSubnet,
          labels: parseLabels(opts.label),
          joinToken: secretFrom('--join-token-file', opts.joinTokenFile, 'BERTH_JOIN_TOKEN'),
          logBounds: taskLogBounds(opts.taskLogSize, opts.taskLogFiles),
          dnsListen: opts.dnsListen,
          log: createLogger('berth.agent').child({ node: opts.nodeId }),
        });
        const dns = running.dnsAddress ? `, DNS on ${running.dnsAddress}` : '';
        process.stdout.write(`berth agent ${opts.nodeId}: ${running.runtime} runtime, syncing with ${opts.join}${dns}\n`);
        await untilSignal(async () => running.stop());
      },
    );
  return [server, agent];
}
