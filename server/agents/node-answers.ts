import { createHash } from 'node:crypto';
import type { TaskAssignment } from '../../proto/berth/generated/berth/agent/v1/TaskAssignment';
import type { ClusterStore, StoreChange } from '../store/cluster-store';
import { taskIdOf } from '../store/naming';

export interface NodeAnswer {
  tasks: TaskAssignment[];
  fingerprint: string;
}

const fingerprintOf = (tasks: TaskAssignment[]): string => createHash('sha256').update(JSON.stringify(tasks)).digest('hex').slice(0, 32);

/**
 * The desired state each node's agent is told, computed once per change that touches that node and
 * kept until the next one: an idle cluster answers its agents' Syncs from memory, and a change wakes
 * only the long polls of the nodes it concerns. Which records an answer depends on is spelled out in
 * `nodesTouchedBy`: the node's tasks, their apps, claims and volumes, the node itself; storage
 * classes, secrets and plugins concern every node.
 */
export class NodeAnswers {
  private readonly answers = new Map<string, NodeAnswer>();
  private readonly waiters = new Map<string, Set<() => void>>();
  /** How many answers were computed (not served from memory): the Sync cost that follows change. */
  built = 0;

  constructor(
    private readonly store: ClusterStore,
    private readonly build: (nodeId: string) => TaskAssignment[],
  ) {
    store.watch((changes) => this.invalidate(changes));
  }

  answer(nodeId: string): NodeAnswer {
    let answer = this.answers.get(nodeId);
    if (!answer) {
      const tasks = this.build(nodeId);
      answer = { tasks, fingerprint: fingerprintOf(tasks) };
      this.answers.set(nodeId, answer);
      this.built++;
    }
    return answer;
  }

  /** Resolves when the node's answer may have changed, after `ms`, or when `cancelled` aborts. */
  waitForChange(nodeId: string, ms: number, cancelled?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const waiting = this.waiters.get(nodeId) ?? new Set<() => void>();
      this.waiters.set(nodeId, waiting);
      const done = () => {
        clearTimeout(timer);
        waiting.delete(done);
        if (waiting.size === 0 && this.waiters.get(nodeId) === waiting) this.waiters.delete(nodeId);
        cancelled?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waiting.add(done);
      cancelled?.addEventListener('abort', done);
    });
  }

  /** Forgets a node's answer (e.g. something outside the store changed for it). */
  forget(nodeId: string): void {
    this.answers.delete(nodeId);
    for (const wake of [...(this.waiters.get(nodeId) ?? [])]) wake();
  }

  private invalidate(changes: readonly StoreChange[]): void {
    const touched = nodesTouchedBy(this.store, changes);
    if (touched === 'all') {
      this.answers.clear();
      for (const set of [...this.waiters.values()]) for (const wake of [...set]) wake();
      return;
    }
    for (const nodeId of touched) this.forget(nodeId);
  }
}

/** The nodes whose desired state may differ after `changes` ('all' for cluster-wide records). */
export function nodesTouchedBy(store: ClusterStore, changes: readonly StoreChange[]): Set<string> | 'all' {
  const nodes = new Set<string>();
  const add = (id: string | undefined) => {
    if (id) nodes.add(id);
  };
  const taskNode = (app: string, instance: number) => add(store.tasks.get(taskIdOf(app, instance))?.nodeId);
  for (const change of changes) {
    switch (change.kind) {
      case 'task':
        add(change.before?.nodeId);
        add(change.after?.nodeId);
        break;
      case 'node':
        add(change.id);
        break;
      case 'app':
        for (const t of store.tasks.where('app', change.id)) add(t.nodeId);
        break;
      case 'claim': {
        const claim = change.after ?? change.before!;
        taskNode(claim.app, claim.instance);
        break;
      }
      case 'volume':
        for (const v of [change.before, change.after]) {
          const claim = v?.claimId ? store.claims.get(v.claimId) : undefined;
          if (claim) taskNode(claim.app, claim.instance);
          add(v?.nodeId);
          add(v?.intentNodeId);
        }
        break;
      case 'storageclass':
      case 'secret':
      case 'plugin':
        return 'all';
      default:
        break;
    }
  }
  return nodes;
}
