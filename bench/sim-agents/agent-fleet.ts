import * as grpc from '@grpc/grpc-js';
import { loadAgentProto } from '../../proto/berth/load';
import type { AgentControlClient } from '../../proto/berth/generated/berth/agent/v1/AgentControl';
import { type FleetCounters, newCounters, SimAgent } from './sim-agent';

/** Agents per gRPC connection: each holds one long poll open, so this bounds the streams on one connection. */
const AGENTS_PER_CHANNEL = 100;

export interface FleetOptions {
  /** host:port of the server's agent endpoint. */
  server: string;
  /** The server's <data-dir>/join-token: each simulated node joins with it, then syncs with its own secret. */
  joinToken: string;
  nodes: number;
  /** Spread the first Syncs over this long, so thousands of nodes do not register in the same millisecond. */
  staggerMs: number;
  cpuCores: number;
  memoryBytes: number;
  poolBytes: number;
}

/**
 * Many simulated agents in this process, sharing a few gRPC connections (a real node has its own; what
 * the server sees per Sync is the same). Node ids are sim-00000, sim-00001, …
 */
export class AgentFleet {
  readonly counters: FleetCounters = newCounters();
  readonly agents: SimAgent[] = [];
  private readonly channels: AgentControlClient[] = [];
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly options: FleetOptions) {
    const Ctl = loadAgentProto().berth.agent.v1.AgentControl;
    const channels = Math.max(1, Math.ceil(options.nodes / AGENTS_PER_CHANNEL));
    for (let i = 0; i < channels; i++) {
      // A local subchannel pool gives each client its own connection (clients to one target share one otherwise).
      this.channels.push(
        new Ctl(options.server, grpc.credentials.createInsecure(), {
          'grpc.use_local_subchannel_pool': 1,
          'grpc.max_receive_message_length': 64 * 1024 * 1024,
        }) as unknown as AgentControlClient,
      );
    }
    for (let i = 0; i < options.nodes; i++) {
      const id = `sim-${String(i).padStart(5, '0')}`;
      this.agents.push(
        new SimAgent(id, this.channels[i % channels], this.counters, {
          joinToken: options.joinToken,
          cpuCores: options.cpuCores,
          memoryBytes: options.memoryBytes,
          poolBytes: options.poolBytes,
        }),
      );
    }
  }

  start(): void {
    const step = this.options.nodes > 1 ? this.options.staggerMs / (this.options.nodes - 1) : 0;
    for (const [i, a] of this.agents.entries()) this.timers.push(setTimeout(() => a.start(), Math.round(i * step)));
  }

  /** How many agents have had an answer since `sinceMs` (all of them: every node is known to the server as of then). */
  answeredSince(sinceMs: number): number {
    return this.agents.filter((a) => a.lastAnswerAt >= sinceMs).length;
  }

  /** The longest silence between two Sync answers of any one agent (the one going on now included), and whose. */
  longestGap(): { nodeId: string; ms: number } {
    const now = Date.now();
    let worst = { nodeId: '', ms: 0 };
    for (const a of this.agents) {
      const ms = Math.max(a.longestGapMs, a.lastAnswerAt > 0 ? now - a.lastAnswerAt : 0);
      if (ms > worst.ms) worst = { nodeId: a.nodeId, ms };
    }
    return worst;
  }

  resetGaps(): void {
    for (const a of this.agents) a.longestGapMs = 0;
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    for (const a of this.agents) a.stop();
    for (const c of this.channels) c.close();
  }
}
