import * as grpc from '@grpc/grpc-js';
import { urgentPart } from '../../agent/sync-reports';
import { newSecret } from '../../lib/auth/secrets';
import { bearerMetadata } from '../../proto/berth/agent-auth';
import { CREATES_VOLUMES, PREPARES_TASKS } from '../../proto/berth/features';
import type { AgentControlClient } from '../../proto/berth/generated/berth/agent/v1/AgentControl';
import type { SyncRequest } from '../../proto/berth/generated/berth/agent/v1/SyncRequest';
import type { SyncResponse__Output } from '../../proto/berth/generated/berth/agent/v1/SyncResponse';
import type { TaskAssignment__Output } from '../../proto/berth/generated/berth/agent/v1/TaskAssignment';
import type { TaskReport } from '../../proto/berth/generated/berth/agent/v1/TaskReport';
import type { CreatedVolume } from '../../proto/berth/generated/berth/agent/v1/CreatedVolume';
import { decodeCreateVolumeRequest } from '../../volumes/csi-client/create-volume-codec';
import { type FakeCreated, FakeLocalPlugin } from './fake-local-plugin';
import { AGENT_LONG_POLL_MS as LONG_POLL_MS } from '../../proto/berth/sync-timing';

/** The real agent's timings (agent/agent.ts): long poll, plain poll, plugin report refresh. */
const POLL_MS = 1000;
const PLUGIN_REPORT_MS = 5000;

/** What all simulated agents of a fleet count together. */
export interface FleetCounters {
  /** Sync answers received (any). */
  answers: number;
  /** Answers whose fingerprint differed from the one the agent knew (its desired state changed). */
  changedAnswers: number;
  /** Failed Sync calls (server unreachable, deadline, …), cut-short long polls excluded. */
  errors: number;
  /** Tasks a Sync answer confirmed as received in a `running` report: taskId → when. */
  runningAcked: Map<string, number>;
  /** Tasks the server took away from a node after its agent had reported them running (a stop or move). */
  dropped: number;
}

export const newCounters = (): FleetCounters => ({ answers: 0, changedAnswers: 0, errors: 0, runningAcked: new Map(), dropped: 0 });

const csiNameOf = (request: Buffer): string => decodeCreateVolumeRequest(request).name;

interface Started {
  generation: string;
  startedAtMs: string;
}

/**
 * One node's agent, reduced to its protocol: each round reports the node (resources, the berth.local
 * plugin, every desired task) and receives the node's desired tasks, long-polling when nothing changed
 * since the last answer — as agent/agent.ts does. Tasks "start" at once: a task handed out with volumes
 * to create has them created by the fake plugin and is reported running with the CreateVolume answers,
 * repeated until the assignment names the volumes; a prepare-only task is reported `preparing`.
 */
export class SimAgent {
  private readonly plugin: FakeLocalPlugin;
  private desired: TaskAssignment__Output[] = [];
  private knownFingerprint = '';
  private sentReports = '';
  private reachable: boolean | undefined;
  private inflight: grpc.ClientUnaryCall | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Volumes created, by task then volume name (a repeat of the same request gets the same answer). */
  private readonly created = new Map<string, Map<string, FakeCreated & { createdAtMs: string }>>();
  private readonly started = new Map<string, Started>();
  /** From the server's answer to this agent's Join. */
  private nodeSecret: string | undefined;
  /** When a Sync answer last arrived; the longest silence between two (what a server's node-down check sees). */
  lastAnswerAt = 0;
  longestGapMs = 0;

  constructor(
    readonly nodeId: string,
    private readonly client: AgentControlClient,
    private readonly counters: FleetCounters,
    private readonly options: { joinToken: string; cpuCores: number; memoryBytes: number; poolBytes: number },
  ) {
    this.plugin = new FakeLocalPlugin(nodeId, options.poolBytes);
  }

  start(): void {
    const loop = async (): Promise<void> => {
      if (this.stopped) return;
      const interval = await this.round();
      if (!this.stopped) this.timer = setTimeout(() => void loop(), interval);
    };
    void loop();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.inflight?.cancel();
  }

  /** The report of every desired task, as the agent's reconcile would leave it once done. */
  private reports(): TaskReport[] {
    return this.desired.map((a) => {
      if (a.prepareOnly) return { taskId: a.taskId, generation: a.generation, restarts: 0, state: 'preparing', message: 'waiting for its volumes' };
      let mine = this.created.get(a.taskId);
      const created: CreatedVolume[] = [];
      for (const v of a.volumes) {
        if (v.createRequest.length === 0) continue;
        if (!mine) {
          mine = new Map();
          this.created.set(a.taskId, mine);
        }
        let c = mine.get(v.name);
        // An answer is reused only for a request of the same name (agent/volume-creator.ts).
        if (!c || c.csiName !== csiNameOf(v.createRequest)) {
          c = { ...this.plugin.createVolume(v.createRequest), createdAtMs: String(Date.now()) };
          mine.set(v.name, c);
        }
        created.push({ name: v.name, response: c.response, csiName: c.csiName, createdAtMs: c.createdAtMs });
      }
      // Started once per generation: a stable start time keeps the report unchanged, so the agent long-polls.
      let s = this.started.get(a.taskId);
      if (s?.generation !== a.generation) {
        s = { generation: a.generation, startedAtMs: String(Date.now()) };
        this.started.set(a.taskId, s);
      }
      return { taskId: a.taskId, generation: a.generation, restarts: 0, state: 'running', startedAtMs: s.startedAtMs, created };
    });
  }

  private sync(request: SyncRequest): Promise<SyncResponse__Output> {
    return new Promise((resolve, reject) => {
      this.inflight = this.client.Sync(request, bearerMetadata(this.nodeSecret), { deadline: Date.now() + (request.waitMs ?? 0) + 10_000 }, (err, res) => {
        this.inflight = undefined;
        if (err || !res) reject(err ?? new Error('empty Sync answer'));
        else resolve(res);
      });
    });
  }

  /** Joins as agent/agent.ts does: the join token once, the node secret on every Sync after it. */
  private join(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.Join(
        { nodeId: this.nodeId, nodeServiceSecret: newSecret() },
        bearerMetadata(this.options.joinToken),
        { deadline: Date.now() + 30_000 },
        (err, res) => {
          if (err || !res) return reject(err ?? new Error('empty Join answer'));
          this.nodeSecret = res.nodeSecret;
          resolve();
        },
      );
    });
  }

  /** One report → desired state round; returns how long to wait before the next (agent/agent.ts round()). */
  private async round(): Promise<number> {
    if (!this.nodeSecret) {
      try {
        await this.join();
      } catch {
        if (this.stopped) return 0;
        this.counters.errors++;
        return POLL_MS;
      }
    }
    const tasks = this.reports();
    const urgent = urgentPart(tasks);
    const waitMs = this.reachable && urgent === this.sentReports ? LONG_POLL_MS : 0;
    const request: SyncRequest = {
      nodeId: this.nodeId,
      address: '127.0.0.1:1',
      labels: { zone: `z${Number(this.nodeId.replace(/\D/g, '')) % 3}` },
      cpuCores: this.options.cpuCores,
      memoryBytes: String(this.options.memoryBytes),
      runtime: 'process',
      plugins: [this.plugin.report(PLUGIN_REPORT_MS)],
      tasks,
      agentVersion: '0.1.0-sim',
      waitMs,
      knownFingerprint: this.knownFingerprint,
      sentAtMs: String(Date.now()),
      features: [CREATES_VOLUMES, PREPARES_TASKS],
    };
    const sent = Date.now();
    try {
      const response = await this.sync(request);
      const now = Date.now();
      this.counters.answers++;
      if (this.lastAnswerAt > 0) this.longestGapMs = Math.max(this.longestGapMs, now - this.lastAnswerAt);
      this.lastAnswerAt = now;
      this.reachable = true;
      this.sentReports = urgent;
      for (const t of tasks) if (t.state === 'running' && !this.counters.runningAcked.has(t.taskId!)) this.counters.runningAcked.set(t.taskId!, now);
      const changed = response.fingerprint !== this.knownFingerprint || response.fingerprint === '';
      if (changed) {
        this.counters.changedAnswers++;
        this.knownFingerprint = response.fingerprint;
        this.takeDesired(response.tasks);
      }
      return waitMs > 0 && !changed && now - sent < 50 ? POLL_MS : 0;
    } catch (error) {
      if (this.stopped) return 0;
      if ((error as grpc.ServiceError).code === grpc.status.CANCELLED) return 0;
      this.counters.errors++;
      this.reachable = false;
      return POLL_MS;
    }
  }

  private takeDesired(tasks: TaskAssignment__Output[]): void {
    const wanted = new Set(tasks.map((t) => t.taskId));
    for (const old of this.desired) {
      if (wanted.has(old.taskId)) continue;
      // A stop is instant here; its volumes stay (they belong to the claim, not the task).
      if (!old.prepareOnly) this.counters.dropped++;
      this.started.delete(old.taskId);
      this.created.delete(old.taskId);
    }
    this.desired = tasks;
  }
}
