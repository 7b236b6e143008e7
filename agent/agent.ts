import * as grpc from '@grpc/grpc-js';
import { cpus, totalmem } from 'node:os';
import { basename } from 'node:path';
import { Logger } from 'pino';
import { loadAgentProto } from '../proto/berth/load';
import type { SyncRequest } from '../proto/berth/generated/berth/agent/v1/SyncRequest';
import type { SyncResponse__Output } from '../proto/berth/generated/berth/agent/v1/SyncResponse';
import type { PluginReport } from '../proto/berth/generated/berth/agent/v1/PluginReport';
import { CsiClient } from '../volumes/csi-client/client';
import type { Executor } from './executors/executor';
import { AgentLocalState } from './local-state';
import { PluginReporter } from './plugin-reporter';
import { readRegistrations } from './plugin-registrations';
import { TaskReconciler } from './task-reconciler';
import { VolumeAttacher } from './volume-attacher';

export interface AgentOptions {
  nodeId: string;
  /** host:port of the server's agent endpoint. */
  server: string;
  address: string;
  labels: Record<string, string>;
  pluginDir: string;
  stateDir: string;
  executor: Executor;
  log: Logger;
  syncIntervalMs?: number;
}

/**
 * One per node. Each round: report resources, plugins and task states to the server, receive the
 * node's desired tasks, reconcile. When the server cannot be reached the agent keeps reconciling
 * against the last desired state it saved, so tasks keep running (and restarting) through a server outage.
 */
export class Agent {
  private readonly state: AgentLocalState;
  private readonly reporter: PluginReporter;
  private readonly reconciler: TaskReconciler;
  private readonly client: grpc.Client;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private pluginsByName = new Map<string, string>();
  private lastReports: SyncRequest['tasks'] = [];
  private serverReachable: boolean | undefined;
  private reconciling: Promise<void> | undefined;

  constructor(private readonly options: AgentOptions) {
    this.state = new AgentLocalState(options.stateDir);
    this.reporter = new PluginReporter(options.log);
    const attacher = new VolumeAttacher(options.stateDir, (plugin) => this.csiClient(plugin));
    this.reconciler = new TaskReconciler(options.executor, attacher, this.state, options.log);
    const Ctl = loadAgentProto().berth.agent.v1.AgentControl;
    this.client = new Ctl(options.server, grpc.credentials.createInsecure());
  }

  private csiClient(plugin: string): CsiClient {
    const endpoint = this.pluginsByName.get(plugin);
    if (!endpoint) throw new Error(`CSI plugin ${plugin} is not registered on node ${this.options.nodeId}`);
    return this.reporter.client(endpoint);
  }

  private async pluginReports(): Promise<PluginReport[]> {
    const { plugins, problems } = readRegistrations(this.options.pluginDir);
    for (const p of problems) this.options.log.warn(p, 'ignoring broken plugin registration');
    const reports: PluginReport[] = [];
    for (const reg of plugins) {
      const report = await this.reporter.report(reg);
      report.name ||= basename(reg.file, '.json');
      this.pluginsByName.set(report.name, reg.endpoint);
      reports.push(report);
    }
    return reports;
  }

  private sync(request: SyncRequest): Promise<SyncResponse__Output> {
    return new Promise((resolve, reject) => {
      (this.client as unknown as { Sync: (r: SyncRequest, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r?: SyncResponse__Output) => void) => void })
        .Sync(request, { deadline: Date.now() + 10_000 }, (err, res) => (err ? reject(err) : resolve(res!)));
    });
  }

  /** One report → desired state → reconcile round. */
  async round(): Promise<number> {
    const request: SyncRequest = {
      nodeId: this.options.nodeId, address: this.options.address, labels: this.options.labels,
      cpuCores: cpus().length, memoryBytes: String(totalmem()), runtime: this.options.executor.kind,
      plugins: await this.pluginReports(), tasks: this.lastReports, agentVersion: '0.1.0',
    };
    let interval = this.options.syncIntervalMs ?? 1000;
    try {
      const response = await this.sync(request);
      if (this.serverReachable === false) this.options.log.info('server reachable again; re-synced');
      this.serverReachable = true;
      this.state.desired = response.tasks;
      this.state.save();
      if (response.syncIntervalMs > 0) interval = response.syncIntervalMs;
    } catch (error) {
      if (this.serverReachable !== false) {
        this.options.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'server unreachable; keeping the last desired state');
      }
      this.serverReachable = false;
    }
    // Reconciling may take long (a stop waits out the grace period); heartbeats must not wait for it, or
    // the server would think the node lost. One reconcile at a time; reports are those of the last one.
    if (!this.reconciling) {
      this.reconciling = this.reconciler.reconcile(this.state.desired)
        .then((reports) => { this.lastReports = reports; })
        .catch((err: unknown) => this.options.log.error({ err }, 'reconcile failed'))
        .finally(() => { this.reconciling = undefined; });
    }
    return interval;
  }

  start(): void {
    const loop = async (): Promise<void> => {
      if (this.stopped) return;
      let interval = 1000;
      try {
        interval = await this.round();
      } catch (error) {
        this.options.log.error({ err: error }, 'agent round failed');
      }
      if (!this.stopped) this.timer = setTimeout(() => void loop(), interval);
    };
    void loop();
  }

  /**
   * Stops the loop, then stops every task and detaches every volume of this node. For `berth up`, whose
   * private dockerd goes away with it: the next start finds a clean node and the server re-assigns.
   */
  async drain(): Promise<void> {
    this.stop();
    await this.reconciling;
    await this.reconciler.reconcile([]);
  }

  /** Stops the loop; running tasks are left running (they belong to the node, not to this process). */
  stop(): void {
    this.stopped = true;
    // An in-flight reconcile finishes on its own; the process exits when it is done.
    if (this.timer) clearTimeout(this.timer);
    this.client.close();
    this.reporter.close();
  }
}
