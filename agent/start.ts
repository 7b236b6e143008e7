import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LogBounds } from './executors/task-log-files';
import { Logger } from 'pino';
import Docker from 'dockerode';
import { Agent } from './agent';
import { DockerExecutor } from './executors/docker';
import { DEFAULT_TASK_NETWORK, DEFAULT_TASK_SUBNET, ensureTaskNetwork, NO_TASK_NETWORK } from './executors/docker-network';
import type { Executor } from './executors/executor';
import { ProcessExecutor } from './executors/process';
import { serveAgentNode } from './node-service';
import { AGENT_CREDENTIALS_FILE, loadAgentCredentials } from './node-credentials';
import { cleanUpMoverLeftovers, moverLeftoverKeys } from './mover-attachment';
import { moverKeys } from './mover-keys';
import { shareMountTree } from './shared-mount';
import type { CsiClient } from '../volumes/csi-client/client';
import type { Endpoint } from '../core/domain';
import { DnsServer } from './dns/dns-server';

/**
 * Attachments a killed agent's data mover left behind (`keys`, listed and claimed before the node
 * service served a call) are undone once the plugins are known again (their clients exist after the
 * first plugin report): retried a few times, then logged. Each key is released when it is clean (or
 * given up), so a new call on it waits (ABORTED, retried by the server) instead of sharing its mount.
 */
function cleanUpMoverLeftoversSoon(
  stateDir: string,
  keys: readonly string[],
  clientFor: (plugin: string) => CsiClient | undefined,
  log: Logger,
  attempt = 0,
): void {
  if (keys.length === 0) return;
  const timer = setTimeout(
    () => {
      const settle = (left: readonly string[]) => {
        for (const key of keys) if (!left.includes(key)) moverKeys.release(key);
        if (left.length === 0) return;
        if (attempt < 5) return cleanUpMoverLeftoversSoon(stateDir, left, clientFor, log, attempt + 1);
        log.warn({ left }, 'data-mover leftovers could not be cleaned up');
        for (const key of left) moverKeys.release(key);
      };
      cleanUpMoverLeftovers(stateDir, keys, clientFor).then(settle, (err: unknown) => {
        log.warn({ err }, 'cleaning up data-mover leftovers failed');
        settle(keys);
      });
    },
    3000 * (attempt + 1),
  );
  timer.unref();
}

export interface StartAgentOptions {
  nodeId: string;
  server: string;
  listen: string;
  pluginDir: string;
  stateDir: string;
  runtime: 'docker' | 'process' | 'auto';
  dockerSocket: string;
  /** The task network docker tasks join (docker-network.ts); `none` for none. Default `berth`. */
  dockerNetwork?: string;
  /** Its subnet, used when the agent creates it. Default 10.213.0.0/16. */
  dockerSubnet?: string;
  labels: Record<string, string>;
  log: Logger;
  syncIntervalMs?: number;
  /** The cluster's join token (the server's <data-dir>/join-token): needed until the node has joined. */
  joinToken?: string;
  /** How much of each task's output is kept (default 10 MiB × 3 files). */
  logBounds?: LogBounds;
  /** host:port the node's DNS for `.berth` names answers on (port 0: any free one); 'none': no DNS. Default 127.0.0.1:0. */
  dnsListen?: string;
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
export async function startAgent(
  options: StartAgentOptions,
): Promise<{ runtime: string; address: string; dnsAddress?: string; stop(): void; drain(): Promise<void> }> {
  const { log } = options;
  const credentials = loadAgentCredentials(options.stateDir, options.nodeId);
  if (!credentials.nodeSecret && !options.joinToken) {
    throw new Error(
      `node ${options.nodeId} has not joined a cluster yet (no ${AGENT_CREDENTIALS_FILE} in ${options.stateDir}): pass --join-token-file with the server's <data-dir>/join-token, or BERTH_JOIN_TOKEN`,
    );
  }
  let runtime = options.runtime;
  if (runtime === 'auto') {
    runtime = (await dockerAnswers(options.dockerSocket)) ? 'docker' : 'process';
    if (runtime === 'process') log.warn({ socket: options.dockerSocket }, 'no dockerd answers: running tasks as plain processes (no container isolation)');
  } else if (runtime === 'docker' && !(await dockerAnswers(options.dockerSocket))) {
    throw new Error(`--runtime docker: no dockerd answers on ${options.dockerSocket}`);
  }
  let networkMode: string | undefined;
  if (runtime === 'docker') {
    // Before any task starts, so that a subnet clash stops the agent with the reason instead of failing every start.
    const network = options.dockerNetwork ?? DEFAULT_TASK_NETWORK;
    networkMode =
      network === NO_TASK_NETWORK
        ? NO_TASK_NETWORK
        : await ensureTaskNetwork(new Docker({ socketPath: options.dockerSocket }), { name: network, subnet: options.dockerSubnet ?? DEFAULT_TASK_SUBNET });
  }
  const executor: Executor =
    runtime === 'docker'
      ? new DockerExecutor({ socketPath: options.dockerSocket, nodeId: options.nodeId, networkMode, logger: log, logBounds: options.logBounds })
      : new ProcessExecutor({ stateDir: join(options.stateDir, 'processes'), namespaces: true, logger: log, logs: { bounds: options.logBounds } });
  if (executor instanceof ProcessExecutor && executor.namespaces) {
    try {
      shareMountTree(options.stateDir);
    } catch (err) {
      log.warn({ err }, "volumes unpublished on this node stay mounted in process tasks' namespaces started before, until those tasks exit");
    }
  }
  // What a killed agent's data mover left is claimed before any call is served (cleaned up below).
  const leftovers = moverLeftoverKeys(options.stateDir);
  for (const key of leftovers) moverKeys.claim(key);
  // The node service starts first (its port goes into the agent's Syncs); it reaches plugins through the agent once that exists.
  let agentRef: Agent | undefined;
  const nodeService = await serveAgentNode(options.listen, executor, log, credentials.serviceSecret, {
    csiClientFor: (plugin) => agentRef?.pluginClient(plugin),
    stateDir: options.stateDir,
  });
  const host = options.listen.slice(0, options.listen.lastIndexOf(':'));
  const address = `${host}:${nodeService.port}`;
  const dnsListen = options.dnsListen ?? '127.0.0.1:0';
  const dns = dnsListen === 'none' ? undefined : await DnsServer.start(dnsListen, log);
  const agent = new Agent({
    nodeId: options.nodeId,
    server: options.server,
    address,
    labels: options.labels,
    pluginDir: options.pluginDir,
    stateDir: options.stateDir,
    executor,
    log,
    syncIntervalMs: options.syncIntervalMs,
    credentials,
    joinToken: options.joinToken,
    ...(dns ? { dnsAddress: dns.address, onEndpoints: (endpoints: Endpoint[]) => dns.update(endpoints) } : {}),
  });
  agentRef = agent;
  agent.start();
  cleanUpMoverLeftoversSoon(options.stateDir, leftovers, (plugin) => agent.pluginClient(plugin), log);
  if (dns) log.info({ dns: dns.address }, 'answering DNS for .berth names');
  return {
    runtime,
    address,
    ...(dns ? { dnsAddress: dns.address } : {}),
    stop: () => {
      agent.stop();
      nodeService.stop();
      dns?.close();
    },
    drain: async () => {
      await agent.drain();
      nodeService.stop();
      dns?.close();
    },
  };
}
