import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { API_TOKEN_FILE, JOIN_TOKEN_FILE } from '../../server/credentials';
import { cleanupUnder } from './cleanup';
import { DockerdHandle, startDockerd } from './dockerd';
import { tempDir } from './fs-helpers';
import { taskSubnetFor } from './task-subnet';
import { BERTH_BIN, PluginProcess, startPlugin } from './plugin-process';

/** A free TCP port on 127.0.0.1 (bound then released: good enough for one test run). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface Daemon {
  child: ChildProcess;
  log(): string;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs `berth <args>` as a long-lived process (server or agent). */
export function startDaemon(args: string[], env: NodeJS.ProcessEnv = {}): Daemon {
  const child = spawn(process.execPath, [BERTH_BIN, ...args], { env: { ...process.env, BERTH_LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  let stopping = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      // A daemon that dies on its own is the cause of whatever fails next: say so with its last words.
      if (!stopping)
        process.stderr.write(
          `[harness] berth ${args[0]} exited on its own (${signal ?? `code ${code}`}; a crash point in a crash test, else the cause of what fails next); its log ends:\n${out.slice(-4000)}\n`,
        );
      resolve(code);
    }),
  );
  return {
    child,
    log: () => out,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      stopping = true;
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The API token file of each test server, by API URL (useServerToken). */
const tokenFiles = new Map<string, string>();

/** From now on, `berth` and `apiFetch` calls to `api` carry the token the server keeps in its data dir. */
export function useServerToken(api: string, serverDataDir: string): void {
  tokenFiles.set(api, join(serverDataDir, API_TOKEN_FILE));
}

/** The token file of a test server's API, and of its agents' join token (the server makes both at start). */
export function serverFiles(serverDataDir: string): { apiToken: string; joinToken: string } {
  return { apiToken: join(serverDataDir, API_TOKEN_FILE), joinToken: join(serverDataDir, JOIN_TOKEN_FILE) };
}

/** `--token-file <the server's api-token>` for a `berth` command line to `api` (none for a server not registered). */
export function tokenArgs(api: string): string[] {
  const file = tokenFiles.get(api);
  return file ? ['--token-file', file] : [];
}

/** fetch() of a path of a test server's API, with its token (useServerToken). */
export function apiFetch(api: string, path: string, init: RequestInit = {}): Promise<Response> {
  const file = tokenFiles.get(api);
  const token = file ? readFileSync(file, 'utf8').trim() : '';
  return fetch(`${api}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` } });
}

/** Runs one `berth` CLI command against the server (with its token, see useServerToken) and returns its exit code and output. */
export function berth(server: string, args: string[], input?: string): CliResult {
  const r = spawnSync(process.execPath, [BERTH_BIN, '--server', server, ...tokenArgs(server), ...args], {
    encoding: 'utf8',
    input,
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function berthJson<T>(server: string, args: string[]): T {
  const r = berth(server, [...args, '-o', 'json']);
  if (r.code !== 0) throw new Error(`berth ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface NodeHandle {
  id: string;
  plugin: PluginProcess;
  agent: Daemon;
  stateDir: string;
  agentArgs: string[];
}

/** One node: a local CSI plugin process on its own btrfs pool, its registration, and an agent process. */
export async function startNode(
  dir: string,
  id: string,
  opts: { poolSize: string; agentServer: string; joinTokenFile: string; runtime: string; dockerSocket?: string; labels?: string[] },
): Promise<NodeHandle> {
  const nodeDir = join(dir, id);
  const pluginDir = join(nodeDir, 'plugins');
  mkdirSync(pluginDir, { recursive: true });
  const socket = join(nodeDir, 'csi.sock');
  const plugin = await startPlugin(
    ['local', '--node-id', id, '--pool', `fast=file:${nodeDir}/pool.img:${opts.poolSize}`, '--state-dir', join(nodeDir, 'plugin-state')],
    socket,
  );
  writeFileSync(join(pluginDir, 'berth.local.json'), JSON.stringify({ endpoint: `unix://${socket}`, pools: [{ name: 'fast', parameters: { pool: 'fast' } }] }));
  const agentArgs = [
    'agent',
    '--join',
    opts.agentServer,
    '--join-token-file',
    opts.joinTokenFile,
    '--node-id',
    id,
    '--plugin-dir',
    pluginDir,
    '--state-dir',
    join(nodeDir, 'agent'),
    '--runtime',
    opts.runtime,
    ...(opts.dockerSocket ? ['--docker-socket', opts.dockerSocket, '--docker-subnet', taskSubnetFor(opts.dockerSocket)] : []),
    ...(opts.labels ?? []).flatMap((l) => ['--label', l]),
  ];
  const agent = startDaemon(agentArgs);
  return { id, plugin, agent, stateDir: join(nodeDir, 'agent'), agentArgs };
}

/** A whole test cluster on this machine: private dockerd, `berth server`, and nodes added one by one. */
export interface TestCluster {
  dir: string;
  dockerd: DockerdHandle;
  api: string;
  agentAddress: string;
  /** The server's join token file (startNode's joinTokenFile). */
  joinTokenFile: string;
  server: Daemon;
  nodes: NodeHandle[];
  /** Starts a node (plugin + agent) and waits until the server sees it ready. */
  addNode(id: string, poolSize: string): Promise<NodeHandle>;
  /** Stops the server (SIGTERM, or SIGKILL for a crash) and starts it again on the same data (with `env`, e.g. failpoints). */
  restartServer(signal?: NodeJS.Signals, env?: NodeJS.ProcessEnv): Promise<void>;
  /** Stops everything and removes every mount, loop device and file under `dir`; safe after a failure. */
  stop(): Promise<void>;
}

export async function startCluster(prefix: string, extraServerArgs: string[] = []): Promise<TestCluster> {
  const dir = tempDir(prefix);
  const dockerd = await startDockerd(join(dir, 'd'));
  const [port, agentPort] = [await freePort(), await freePort()];
  const api = `http://127.0.0.1:${port}`;
  const agentAddress = `127.0.0.1:${agentPort}`;
  useServerToken(api, join(dir, 'server'));
  const joinTokenFile = serverFiles(join(dir, 'server')).joinToken;
  const serverArgs = ['server', '--data-dir', join(dir, 'server'), '--listen', `127.0.0.1:${port}`, '--agent-listen', agentAddress, ...extraServerArgs];
  const cluster: TestCluster = {
    dir,
    dockerd,
    api,
    agentAddress,
    joinTokenFile,
    server: startDaemon(serverArgs),
    nodes: [],
    async addNode(id, poolSize) {
      const node = await startNode(dir, id, { poolSize, agentServer: agentAddress, joinTokenFile, runtime: 'docker', dockerSocket: dockerd.socket });
      cluster.nodes.push(node);
      await waitFor(`node ${id} ready`, () =>
        berthJson<{ items: { id: string; state: string }[] }>(api, ['get', 'nodes']).items.some((n) => n.id === id && n.state === 'ready'),
      );
      return node;
    },
    async restartServer(signal = 'SIGTERM', env = {}) {
      await cluster.server.stop(signal);
      cluster.server = startDaemon(serverArgs, env);
      await waitFor('server back', () => berth(api, ['get', 'nodes']).code === 0);
    },
    async stop() {
      for (const n of cluster.nodes) await n.agent.stop();
      await cluster.server.stop();
      for (const n of cluster.nodes) await n.plugin.stop();
      await dockerd.stop();
      cleanupUnder(dir);
    },
  };
  await waitFor('server', () => berth(api, ['get', 'nodes']).code === 0);
  return cluster;
}
