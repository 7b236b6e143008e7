import { Logger } from 'pino';
import type { PortRange } from '../core/domain';
import { Ledger } from '../core/reservations';
import { Scheduler } from '../core/scheduler';
import { CsiClient } from '../volumes/csi-client/client';
import type { ClusterStore } from './store/cluster-store';
import type { NodeRecord } from './store/records';
import { BackgroundWork } from './controllers/background-work';
import { ControllerMemory } from './controllers/controller-memory';
import { ControllerRegistry } from './controllers/runtime/controller';
import { buildAssignments } from './agents/assignments';
import { CSI_TIMEOUT_MS } from './agents/deadlines';
import { NodeLinks } from './agents/node-links';
import { NodeAnswers } from './agents/node-answers';
import { NodeLiveness } from './agents/node-liveness';

/** Everything the controllers and the API share in one server process. */
export class ClusterContext {
  private readonly csiClients = new Map<string, CsiClient>();
  /** The link to each node's agent (logs, exec, data mover, CSI calls to node-local plugins): `links.get(node)`. */
  readonly links: NodeLinks;
  /** Slow per-object steps of the control loop (CSI calls), off the reconcile pass. */
  readonly background = new BackgroundWork(() => this.changed());
  /** This server's controllers, for their figures. */
  readonly controllers = new ControllerRegistry();
  /** The controllers' per-object memory that is not worth a record (this server's own, never module-global). */
  readonly memory = new ControllerMemory();

  /** When each agent was last heard from, and its latest pool figures (not worth a durable write each Sync). */
  readonly liveness = new NodeLiveness();
  /** Each node's desired state as its agent is told it, recomputed only when something of that node changed. */
  readonly nodeAnswers: NodeAnswers;
  /** Agent Syncs handled since the server started. */
  readonly syncStats = { handled: 0 };
  private readonly waiters = new Set<() => void>();
  private readonly controlLoopWakers = new Set<() => void>();
  private readonly unwatch: (() => void)[] = [];

  constructor(
    readonly store: ClusterStore,
    readonly ledger: Ledger,
    readonly scheduler: Scheduler,
    readonly log: Logger,
    /** `hostPortRange`: where each node's dynamic host ports are picked (default DEFAULT_HOST_PORT_RANGE). */
    readonly options: { nodeDownAfterMs: number; nodeServiceSecret?: (nodeId: string) => string | undefined; hostPortRange?: PortRange },
  ) {
    this.links = new NodeLinks(options.nodeServiceSecret ?? (() => undefined));
    this.nodeAnswers = new NodeAnswers(store, (nodeId) => buildAssignments(this, nodeId));
    this.unwatch.push(
      store.watch(() => {
        for (const wake of [...this.waiters]) wake();
      }),
      // What is kept per object outside the store goes with the object.
      this.memory.follow(store),
      this.links.follow(store),
    );
  }

  /**
   * Something the store does not show has changed (a slow step settled, possibly without writing):
   * the control loop takes another look at its next tick.
   */
  changed(): void {
    for (const wake of [...this.controlLoopWakers]) wake();
  }

  /** Registers the control loop's interest in `changed()`. */
  onChanged(wake: () => void): () => void {
    this.controlLoopWakers.add(wake);
    return () => this.controlLoopWakers.delete(wake);
  }

  /** The store's revision: the index of the API's blocking queries. */
  get index(): number {
    return this.store.revision;
  }

  /** Resolves at the store's next committed write, after `ms`, or when `cancelled` aborts, whichever comes first. */
  waitForChange(ms: number, cancelled?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        cancelled?.removeEventListener('abort', done);
        resolve();
      };
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
    if (!node.plugins.some((p) => p.name === plugin))
      throw new Error(`no controller endpoint for CSI plugin ${plugin} on node ${node.id}: the node does not report it`);
    if (!node.address) throw new Error(`node ${node.id} has no agent address to reach CSI plugin ${plugin} through`);
    return this.links.get(node).csiClient(plugin);
  }

  close(): void {
    for (const stop of this.unwatch.splice(0)) stop();
    for (const c of this.csiClients.values()) c.close();
    this.links.close();
  }
}
