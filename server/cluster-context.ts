import { Logger } from 'pino';
import { Ledger } from '../core/reservations';
import { Scheduler } from '../core/scheduler';
import { CsiClient } from '../volumes/csi-client/client';
import type { ClusterStore } from './cluster-store';
import type { NodeRecord } from './records';

/** Everything the controllers and the API share in one server process. */
export class ClusterContext {
  private readonly csiClients = new Map<string, CsiClient>();

  constructor(readonly store: ClusterStore, readonly ledger: Ledger, readonly scheduler: Scheduler, readonly log: Logger,
              readonly options: { nodeDownAfterMs: number; token?: string }) {}

  private readonly waiters = new Set<() => void>();

  /** Called after every reconcile pass: wakes agents whose Sync is waiting for their desired state to change. */
  changed(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** Resolves at the next `changed()` or after `ms`, whichever comes first. */
  waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => { clearTimeout(timer); this.waiters.delete(done); resolve(); };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  event(object: string, reason: string, message: string): void {
    this.store.appendEvent({ object, reason, message });
    this.log.info({ object, reason }, message);
  }

  /**
   * The CSI controller endpoint of a plugin for work on `node`: the plugin's central controller when a
   * Plugin manifest names one, else the endpoint the node's agent reported (node-local drivers such as
   * berth.local run their controller next to their node service).
   */
  controllerFor(plugin: string, node: NodeRecord | undefined): CsiClient {
    const manifest = this.store.plugins.get(plugin);
    const endpoint = manifest?.spec.controller?.endpoint ?? node?.plugins.find((p) => p.name === plugin)?.endpoint;
    if (!endpoint) throw new Error(`no controller endpoint for CSI plugin ${plugin}${node ? ` on node ${node.id}` : ''}`);
    let c = this.csiClients.get(endpoint);
    if (!c) {
      c = new CsiClient(endpoint, { timeoutMs: 60_000 });
      this.csiClients.set(endpoint, c);
    }
    return c;
  }

  close(): void {
    for (const c of this.csiClients.values()) c.close();
  }
}
