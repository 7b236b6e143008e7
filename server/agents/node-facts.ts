import type { SyncRequest__Output } from '../../proto/berth/generated/berth/agent/v1/SyncRequest';

/** What a Sync says about its node (rather than about this round), with its plugins' times on the server clock. */
export type ReportedFacts = Pick<SyncRequest__Output, 'address' | 'labels' | 'cpuCores' | 'memoryBytes' | 'runtime' | 'plugins'>;

/**
 * The facts each node's agent last sent in full, under the digest it gave them (feature facts-by-digest):
 * its later Syncs leave them out while they stay the same. Memory only: after a restart the server holds
 * none, answers a Sync without facts with an empty known_facts, and the agent sends them again.
 */
export class NodeFactsCache {
  private readonly byNode = new Map<string, { digest: string; facts: ReportedFacts }>();

  remember(nodeId: string, digest: string, facts: ReportedFacts): void {
    if (digest) this.byNode.set(nodeId, { digest, facts });
    else this.byNode.delete(nodeId);
  }

  /** The node's facts as sent with `digest`, if those are the ones held. */
  recall(nodeId: string, digest: string): ReportedFacts | undefined {
    const held = this.byNode.get(nodeId);
    return held && digest && held.digest === digest ? held.facts : undefined;
  }
}
