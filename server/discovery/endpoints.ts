import { createHash } from 'node:crypto';
import { type Endpoint, type EndpointPort, hostOfAddress } from '../../core/domain';
import type { ClusterStore } from '../store/cluster-store';
import type { AppRecord, NodeRecord, TaskRecord } from '../store/records';

/**
 * A running task's endpoint: its node's address with each host port it holds, and its container
 * address with each container port when it has one. Ready when its app (of the task's generation)
 * has no readiness check, or the check passes — and its node is not down: a task there still counts
 * as running (it waits for its node), but nobody can say it answers.
 */
export function endpointOf(task: TaskRecord, app: AppRecord | undefined, node: NodeRecord | undefined): Endpoint | undefined {
  if (task.state !== 'running' || !task.nodeId || !node) return undefined;
  const spec = task.spec ?? app?.spec;
  const ports: EndpointPort[] = (task.hostPorts ?? []).map((held) => {
    if (!task.containerAddress) return { name: held.name, port: held.port };
    const containerPort = spec?.ports?.find((p) => p.name === held.name)?.containerPort ?? held.port;
    return { name: held.name, port: held.port, containerPort };
  });
  return {
    app: task.app,
    instance: task.instance,
    taskId: task.id,
    nodeId: task.nodeId,
    address: hostOfAddress(node.address),
    ...(task.containerAddress ? { containerAddress: task.containerAddress } : {}),
    ports,
    ready: node.state !== 'down' && (!spec?.readiness || task.health === 'healthy'),
  };
}

/** The endpoints of every running task (of `app` only, when given), by app then instance. */
export function listEndpoints(store: ClusterStore, app?: string): Endpoint[] {
  const tasks = app === undefined ? store.tasks.where('state', 'running') : store.tasks.where('app', app);
  return tasks
    .flatMap((t) => endpointOf(t, store.apps.get(t.app), t.nodeId ? store.nodes.get(t.nodeId) : undefined) ?? [])
    .sort((a, b) => (a.app === b.app ? a.instance - b.instance : a.app < b.app ? -1 : 1));
}

export interface EndpointSnapshot {
  endpoints: Endpoint[];
  fingerprint: string;
}

/**
 * Every endpoint with its fingerprint, computed at most once per store revision: every agent's long
 * poll (server/agents/endpoint-poll.ts) reads the same snapshot, and wakes only when it changed.
 */
export class EndpointFeed {
  private cached: { revision: number; snapshot: EndpointSnapshot } | undefined;

  constructor(private readonly store: ClusterStore) {}

  current(): EndpointSnapshot {
    const revision = this.store.revision;
    if (this.cached?.revision !== revision) {
      const endpoints = listEndpoints(this.store);
      const fingerprint = createHash('sha256').update(JSON.stringify(endpoints)).digest('hex').slice(0, 32);
      // The same fingerprint keeps the same snapshot: waiters compare by it.
      const snapshot = this.cached?.snapshot.fingerprint === fingerprint ? this.cached.snapshot : { endpoints, fingerprint };
      this.cached = { revision, snapshot };
    }
    return this.cached.snapshot;
  }
}
