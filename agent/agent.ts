import * as grpc from '@grpc/grpc-js';
import { cpus, totalmem } from 'node:os';
import { basename } from 'node:path';
import { Logger } from 'pino';
import { bearerMetadata } from '../proto/berth/agent-auth';
import { loadAgentProto } from '../proto/berth/load';
import type { SyncRequest } from '../proto/berth/generated/berth/agent/v1/SyncRequest';
import type { SyncResponse__Output } from '../proto/berth/generated/berth/agent/v1/SyncResponse';
import type { PluginReport } from '../proto/berth/generated/berth/agent/v1/PluginReport';
import { CsiClient } from '../volumes/csi-client/client';
import type { Executor } from './executors/executor';
import { AgentLocalState } from './local-state';
import { type AgentCredentials, saveAgentCredentials } from './node-credentials';
import type { JoinResponse__Output } from '../proto/berth/generated/berth/agent/v1/JoinResponse';
import { PluginReporter } from './plugin-reporter';
import { readRegistrations } from './plugin-registrations';
import { TaskReconciler } from './task-reconciler';
import { urgentPart, withPendingTasks } from './sync-reports';
import { VolumeAttacher } from './volume-attacher';
import { CREATES_VOLUMES, PREPARES_TASKS } from '../proto/berth/features';
import { AGENT_LONG_POLL_MS as LONG_POLL_MS } from '../proto/berth/sync-timing';
import type { Endpoint } from '../core/domain';
import { EndpointFollower } from './dns/endpoint-follower';

const RECONCILE_INTERVAL_MS = 1000;
const PLUGIN_REPORT_MS = 5000;

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
  /** This node's credentials (node-credentials.ts); `nodeSecret` is filled in by a Join. */
  credentials: AgentCredentials;
  /** The cluster's join token: the agent joins with it when it has no node secret, or the server knows none. */
  joinToken?: string;
  /** Where this node's DNS answers (reported to the server, shown by `berth get nodes`). */
  dnsAddress?: string;
  /** Given the cluster's endpoints whenever they change (the node's DNS answers from them). */
  onEndpoints?: (endpoints: Endpoint[]) => void;
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
  private readonly endpoints: EndpointFollower | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private pluginsByName = new Map<string, string>();
  private lastReports: SyncRequest['tasks'] = [];
  private serverReachable: boolean | undefined;
  private reconciling: Promise<void> | undefined;
  private reconcileAgain = false;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private inflight: grpc.ClientUnaryCall | undefined;
  private knownFingerprint = '';
  private cachedPlugins: { at: number; reports: PluginReport[] } | undefined;
  private sentReports = '';
  private lastAuthProblem: string | undefined;
  /** The desired state the reconcile under way works from. */
  private reconcilingDesired: SyncResponse__Output['tasks'] = [];

  constructor(private readonly options: AgentOptions) {
    this.state = new AgentLocalState(options.stateDir);
    this.reporter = new PluginReporter(options.log);
    const attacher = new VolumeAttacher(options.stateDir, (plugin) => this.csiClient(plugin));
    this.reconciler = new TaskReconciler(options.executor, attacher, this.state, options.log, (plugin) => this.csiClient(plugin), {
      healthChanged: () => this.kickReconcile(),
    });
    const Ctl = loadAgentProto().berth.agent.v1.AgentControl;
    this.client = new Ctl(options.server, grpc.credentials.createInsecure());
    if (options.onEndpoints) this.endpoints = new EndpointFollower(this.client, options.nodeId, options.credentials, options.onEndpoints, options.log);
  }

  /** The client of a plugin registered on this node, known once the plugins were reported. */
  pluginClient(plugin: string): CsiClient | undefined {
    const endpoint = this.pluginsByName.get(plugin);
    return endpoint ? this.reporter.client(endpoint) : undefined;
  }

  private csiClient(plugin: string): CsiClient {
    const endpoint = this.pluginsByName.get(plugin);
    if (!endpoint) throw new Error(`CSI plugin ${plugin} is not registered on node ${this.options.nodeId}`);
    return this.reporter.client(endpoint);
  }

  /** Plugin reports are refreshed at most every PLUGIN_REPORT_MS: they change slowly, and a report costs ~7 CSI calls. */
  private async pluginReports(): Promise<PluginReport[]> {
    if (this.cachedPlugins && Date.now() - this.cachedPlugins.at < PLUGIN_REPORT_MS) return this.cachedPlugins.reports;
    const reports = await this.freshPluginReports();
    this.cachedPlugins = { at: Date.now(), reports };
    return reports;
  }

  private async freshPluginReports(): Promise<PluginReport[]> {
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

  /** Joins with the join token: the server answers this node's secret, kept in the state dir from then on. */
  private join(): Promise<void> {
    const { credentials, joinToken } = this.options;
    return new Promise((resolve, reject) => {
      (
        this.client as unknown as {
          Join: (
            r: { nodeId: string; nodeServiceSecret: string },
            md: grpc.Metadata,
            o: grpc.CallOptions,
            cb: (e: grpc.ServiceError | null, r?: JoinResponse__Output) => void,
          ) => grpc.ClientUnaryCall;
        }
      ).Join(
        { nodeId: credentials.nodeId, nodeServiceSecret: credentials.serviceSecret },
        bearerMetadata(joinToken),
        { deadline: Date.now() + 10_000 },
        (err, res) => {
          if (err) return reject(err);
          try {
            // Kept before use: a secret only in memory would be lost with this process, and the node with it.
            saveAgentCredentials(this.options.stateDir, { ...credentials, nodeSecret: res!.nodeSecret });
          } catch (error) {
            return reject(error);
          }
          credentials.nodeSecret = res!.nodeSecret;
          this.options.log.info('joined the cluster');
          resolve();
        },
      );
    });
  }

  /** Says a credentials problem once (not every round), and again only when it changes. */
  private authProblem(message: string | undefined): void {
    if (message && message !== this.lastAuthProblem) this.options.log.error(message);
    this.lastAuthProblem = message;
  }

  private sync(request: SyncRequest): Promise<SyncResponse__Output> {
    return new Promise((resolve, reject) => {
      this.inflight = (
        this.client as unknown as {
          Sync: (
            r: SyncRequest,
            md: grpc.Metadata,
            o: grpc.CallOptions,
            cb: (e: grpc.ServiceError | null, r?: SyncResponse__Output) => void,
          ) => grpc.ClientUnaryCall;
        }
      ).Sync(request, bearerMetadata(this.options.credentials.nodeSecret), { deadline: Date.now() + (request.waitMs ?? 0) + 10_000 }, (err, res) => {
        this.inflight = undefined;
        if (err) reject(err);
        else resolve(res!);
      });
    });
  }

  /**
   * One report → desired state round. When nothing changed since the last answer the request is a long
   * poll: the server answers as soon as the node's desired state changes (or after LONG_POLL_MS), so new
   * work starts at once without polling fast. Returns how long to wait before the next round.
   */
  async round(): Promise<number> {
    if (!this.options.credentials.nodeSecret) {
      if (!this.options.joinToken) {
        this.authProblem(
          `node ${this.options.nodeId} has no node secret and no join token: start the agent with --join-token-file (the server's <data-dir>/join-token)`,
        );
        return this.options.syncIntervalMs ?? 1000;
      }
      try {
        await this.join();
      } catch (error) {
        const e = error as grpc.ServiceError;
        this.authProblem(`cannot join the cluster: ${e.details || e.message}`);
        return this.options.syncIntervalMs ?? 1000;
      }
    }
    const reports = urgentPart(this.lastReports);
    const waitMs = this.serverReachable && reports === this.sentReports ? LONG_POLL_MS : 0;
    const request: SyncRequest = {
      nodeId: this.options.nodeId,
      address: this.options.address,
      labels: this.options.labels,
      cpuCores: cpus().length,
      memoryBytes: String(totalmem()),
      runtime: this.options.executor.kind,
      plugins: await this.pluginReports(),
      tasks: withPendingTasks(this.lastReports, this.state.desired, this.reconcilingDesired),
      agentVersion: '0.1.0',
      waitMs,
      knownFingerprint: this.knownFingerprint,
      sentAtMs: String(Date.now()),
      features: [CREATES_VOLUMES, PREPARES_TASKS],
      dnsAddress: this.options.dnsAddress ?? '',
    };
    const started = Date.now();
    try {
      const response = await this.sync(request);
      if (this.serverReachable === false) this.options.log.info('server reachable again; re-synced');
      this.serverReachable = true;
      this.authProblem(undefined);
      this.sentReports = reports;
      const changed = response.fingerprint !== this.knownFingerprint || response.fingerprint === '';
      if (changed) {
        this.knownFingerprint = response.fingerprint;
        this.state.desired = response.tasks;
        // Kicked first, so its first docker call is on its way while the state file is written; the write
        // is synchronous, so no reconcile of this state can finish before it is on disk.
        this.kickReconcile();
        this.state.save();
      }
      // A server that answers an unchanged long poll at once does not hold requests: poll plainly instead.
      return waitMs > 0 && !changed && Date.now() - started < 50 ? (this.options.syncIntervalMs ?? 1000) : 0;
    } catch (error) {
      const e = error as grpc.ServiceError;
      if (e.code === grpc.status.CANCELLED) return 0; // cut short to send fresh reports
      if (e.code === grpc.status.UNAUTHENTICATED) {
        // The server does not know this node's secret (e.g. its data dir is new): join again when we can.
        this.authProblem(`the server refused this node's credentials: ${e.details}${this.options.joinToken ? '; joining again' : ''}`);
        if (this.options.joinToken) this.options.credentials.nodeSecret = undefined;
        this.serverReachable = false;
        return this.options.syncIntervalMs ?? 1000;
      }
      this.authProblem(undefined);
      if (this.serverReachable !== false) {
        this.options.log.warn({ err: e.message }, 'server unreachable; keeping the last desired state');
      }
      this.serverReachable = false;
      return this.options.syncIntervalMs ?? 1000;
    }
  }

  /**
   * Reconciling runs on its own loop (every second, and at once when the desired state changes): a
   * stop that waits out a grace period must not hold up heartbeats, and an exited task must be noticed
   * without waiting for the server. New reports cut a waiting long poll short so they reach the server.
   */
  private kickReconcile(): void {
    if (this.stopped) return;
    if (this.reconciling) {
      this.reconcileAgain = true;
      return;
    }
    if (this.reconcileTimer) clearTimeout(this.reconcileTimer);
    this.reconcilingDesired = this.state.desired;
    this.reconciling = this.reconciler
      .reconcile(this.state.desired)
      .then((reports) => {
        this.lastReports = reports;
        if (urgentPart(reports) !== this.sentReports) this.inflight?.cancel();
      })
      .catch((err: unknown) => this.options.log.error({ err }, 'reconcile failed'))
      .finally(() => {
        this.reconciling = undefined;
        if (this.stopped) return;
        if (this.reconcileAgain) {
          this.reconcileAgain = false;
          setImmediate(() => this.kickReconcile());
          return;
        }
        this.reconcileTimer = setTimeout(() => this.kickReconcile(), RECONCILE_INTERVAL_MS);
      });
  }

  start(): void {
    this.kickReconcile();
    this.endpoints?.start();
    let first = true;
    const loop = async (): Promise<void> => {
      // The first report waits for the first reconcile: an empty report would tell the server that tasks
      // this node still runs (or still holds volumes for) are gone.
      if (first) {
        first = false;
        await this.reconciling;
      }
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
    // The tasks start again with the node (`berth up` restarted): their output is kept.
    await this.reconciler.reconcile([], { keepLogs: true });
    await this.reconciler.settle();
  }

  /** Stops the loop; running tasks are left running (they belong to the node, not to this process). */
  stop(): void {
    this.stopped = true;
    this.reconciler.stopChecks();
    if (this.reconcileTimer) clearTimeout(this.reconcileTimer);
    this.inflight?.cancel();
    this.endpoints?.stop();
    // An in-flight reconcile finishes on its own; the process exits when it is done.
    if (this.timer) clearTimeout(this.timer);
    this.client.close();
    this.reporter.close();
  }
}
