import { status } from '@grpc/grpc-js';
import type { ClusterStore } from '../store/cluster-store';
import type { NodeRecord } from '../store/records';
import { AgentCallError } from './agent-call-error';
import { NodeLink } from './node-link';

/**
 * The server's links to its agents, one per node, made on first use. A node's link is replaced when
 * its agent reports another address, and when connecting to it failed (a fresh link tries at once,
 * as a call made after the agent came back expects); it is closed and dropped when the node's record
 * is deleted (`follow`), and all are closed when the server stops. Each link presents the secret
 * `serviceSecret` gives for its node (NodeCredentials: what the node's agent named when it joined).
 */
export class NodeLinks {
  private readonly links = new Map<string, NodeLink>();

  constructor(private readonly serviceSecret: (nodeId: string) => string | undefined) {}

  /** The link to `node`'s agent; throws UNAVAILABLE (AgentCallError) when the node has reported no address. */
  get(node: Pick<NodeRecord, 'id' | 'address'>): NodeLink {
    if (!node.address) throw new AgentCallError(node.id, status.UNAVAILABLE, 'no agent address', `node ${node.id} has no agent address`);
    const secret = this.serviceSecret(node.id);
    let link = this.links.get(node.id);
    if (!link || link.address !== node.address || link.failing || !link.presents(secret)) {
      link?.close();
      link = new NodeLink(node.id, node.address, secret);
      this.links.set(node.id, link);
    }
    return link;
  }

  /** Whether a link to `nodeId`'s agent is held. */
  has(nodeId: string): boolean {
    return this.links.has(nodeId);
  }

  /** Closes and drops `nodeId`'s link; a later `get` (the node joined again) makes a new one. */
  drop(nodeId: string): void {
    this.links.get(nodeId)?.close();
    this.links.delete(nodeId);
  }

  /** Drops the link of each node `store` deletes; returns the unsubscribe. */
  follow(store: Pick<ClusterStore, 'watch'>): () => void {
    return store.watch((changes) => {
      for (const change of changes) if (change.kind === 'node' && change.after === undefined) this.drop(change.id);
    });
  }

  close(): void {
    for (const link of this.links.values()) link.close();
    this.links.clear();
  }
}
