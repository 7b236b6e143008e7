import { Logger } from 'pino';
import { Ledger } from '../core/reservations';
import { Scheduler } from '../core/scheduler';
import { CsiClient } from '../volumes/csi-client/client';
import type { ClusterStore } from './store/cluster-store';
import type { NodeRecord } from './store/records';
import { BackgroundWork } from './controllers/background-work';
import { AgentCsiChannel } from './agents/csi-transport';

/** Deadline of one CSI call made by the server (CreateVolume and snapshots can take a while on real disks). */
const CSI_TIMEOUT_MS = 60_000;

/** Everything the controllers and the API share in one server process. */
export class ClusterContext {
  private readonly csiClients = new Map<string, CsiClient>();
  /** Per node: the channel to its agent and the plugin clients riding on it (replaced when the agent's address changes). */
  private readonly viaAgents = new Map<string, { channel: AgentCsiChannel; clients: Map<string, CsiClient> }>();
  /** Slow per-object steps of the control loop (CSI calls), off the reconcile pass. */
  readonly background = new BackgroundWork(() => this.changed());

  constructor(readonly store: ClusterStore, readonly ledger: Ledger, readonly scheduler: Scheduler, readonly log: Logger,
              readonly options: { nodeDownAfterMs: number; token?: string }) {}

  private readonly waiters = new Set<() => void>();
  private changes = 0;

  /**
   * Called after every reconcile pass and whenever an agent's report changed a task: wakes agents whose
   * Sync is waiting for their desired state to change, and API clients waiting for a newer `index`.
   */
  changed(): void {
    this.changes++;
    for (const wake of [...this.waiters]) wake();
  }

  /** How many changes this server has seen since it started: the index of the API's blocking queries. */
  get index(): number {
    return this.changes;
  }

  /** Resolves at the next `changed()`, after `ms`, or when `cancelled` aborts, whichever comes first. */
  waitForChange(ms: number, cancelled?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => { clearTimeout(timer); this.waiters.delete(done); cancelled?.removeEventListener('abort', done); resolve(); };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      cancelled?.addEventListener('abort', done);
    });
  }

  event(object: string, reason: string, message: string): void {
    this.store.appendEvent({ object, reason, message });
    this.log.info({ object, reason }, message);
  }

  /**
   * The CSI controller of a plugin for work on `node`: the plugin's central controller endpoint when a
   * Plugin manifest names one, else the plugin as registered on that node, reached through the node's
   * agent (node-local drivers such as berth.local run their controller next to their node service, on a
   * unix socket only that node can open).
   */
  controllerFor(plugin: string, node: NodeRecord | undefined): CsiClient {
    const endpoint = this.store.plugins.get(plugin)?.spec.controller?.endpoint;
    if (endpoint) {
      let c = this.csiClients.get(endpoint);
      if (!c) {
        c = new CsiClient(endpoint, { timeoutMs: CSI_TIMEOUT_MS });
        this.csiClients.set(endpoint, c);
      }
      return c;
    }
    if (!node) throw new Error(`no controller endpoint for CSI plugin ${plugin}: no Plugin manifest names one and no node was given`);
    if (!node.plugins.some((p) => p.name === plugin)) throw new Error(`no controller endpoint for CSI plugin ${plugin} on node ${node.id}: the node does not report it`);
    if (!node.address) throw new Error(`node ${node.id} has no agent address to reach CSI plugin ${plugin} through`);
    let via = this.viaAgents.get(node.id);
    if (!via || via.channel.address !== node.address) {
      via?.channel.close();
      via = { channel: new AgentCsiChannel(node.address, this.options.token), clients: new Map() };
      this.viaAgents.set(node.id, via);
    }
    let c = via.clients.get(plugin);
    if (!c) {
      const label = `${plugin} on node ${node.id}`;
      c = new CsiClient(label, { timeoutMs: CSI_TIMEOUT_MS, transport: via.channel.transportFor(plugin, label) });
      via.clients.set(plugin, c);
    }
    return c;
  }

  close(): void {
    for (const c of this.csiClients.values()) c.close();
    for (const via of this.viaAgents.values()) via.channel.close();
  }
}
