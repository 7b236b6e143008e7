import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from 'pino';
import Docker from 'dockerode';
import { Agent } from './agent';
import { DockerExecutor } from './executors/docker';
import type { Executor } from './executors/executor';
import { ProcessExecutor } from './executors/process';
import { serveAgentNode } from './node-service';

export interface StartAgentOptions {
  nodeId: string;
  server: string;
  listen: string;
  pluginDir: string;
  stateDir: string;
  runtime: 'docker' | 'process' | 'auto';
  dockerSocket: string;
  labels: Record<string, string>;
  log: Logger;
  syncIntervalMs?: number;
  token?: string;
}

/** True when a dockerd answers on the socket. */
export async function dockerAnswers(socketPath: string): Promise<boolean> {
  if (!existsSync(socketPath)) return false;
  try {
    await new Docker({ socketPath }).ping();
    return true;
  } catch {
    return false;
  }
}

/** Picks the runtime (auto: docker when it answers, else the process runtime — said out loud), then starts the agent. */
export async function startAgent(options: StartAgentOptions): Promise<{ runtime: string; address: string; stop(): void; drain(): Promise<void> }> {
  const { log } = options;
  let runtime = options.runtime;
  if (runtime === 'auto') {
    runtime = (await dockerAnswers(options.dockerSocket)) ? 'docker' : 'process';
    if (runtime === 'process') log.warn({ socket: options.dockerSocket }, 'no dockerd answers: running tasks as plain processes (no container isolation)');
  } else if (runtime === 'docker' && !(await dockerAnswers(options.dockerSocket))) {
    throw new Error(`--runtime docker: no dockerd answers on ${options.dockerSocket}`);
  }
  const executor: Executor = runtime === 'docker'
    ? new DockerExecutor({ socketPath: options.dockerSocket, nodeId: options.nodeId, logger: log })
    : new ProcessExecutor({ stateDir: join(options.stateDir, 'processes'), logger: log });
  // The node service starts first (its port goes into the agent's Syncs); it reaches plugins through the agent once that exists.
  let agentRef: Agent | undefined;
  const nodeService = await serveAgentNode(options.listen, executor, log, options.token, { csiClientFor: (plugin) => agentRef?.pluginClient(plugin) });
  const host = options.listen.slice(0, options.listen.lastIndexOf(':'));
  const address = `${host}:${nodeService.port}`;
  const agent = new Agent({ nodeId: options.nodeId, server: options.server, address, labels: options.labels, pluginDir: options.pluginDir,
    stateDir: options.stateDir, executor, log, syncIntervalMs: options.syncIntervalMs, token: options.token });
  agentRef = agent;
  agent.start();
  return { runtime, address, stop: () => { agent.stop(); nodeService.stop(); }, drain: async () => { await agent.drain(); nodeService.stop(); } };
}
