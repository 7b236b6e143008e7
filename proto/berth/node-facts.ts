import { createHash } from 'node:crypto';
import type { SyncRequest } from './generated/berth/agent/v1/SyncRequest';

/** The fields of a SyncRequest that describe the node rather than this round: sent again only when they change. */
export type NodeFacts = Pick<SyncRequest, 'address' | 'labels' | 'cpuCores' | 'memoryBytes' | 'runtime' | 'plugins' | 'agentVersion'>;

/**
 * The digest of a node's facts (SyncRequest.facts_digest). The pools' measurement times are left out:
 * they move with every plugin report, while the figures they date rarely do — a measurement that still
 * holds stays true at the time it was taken.
 */
export function factsDigest(facts: NodeFacts): string {
  const plugins = (facts.plugins ?? []).map((p) => ({ ...p, pools: (p.pools ?? []).map(({ reportedAtMs: _at, ...pool }) => pool) }));
  const material = JSON.stringify([facts.address, facts.labels, facts.cpuCores, facts.memoryBytes, facts.runtime, plugins, facts.agentVersion]);
  return createHash('sha256').update(material).digest('base64url').slice(0, 22);
}

/**
 * The request's facts left out when the server said it holds these very ones (its last answer's
 * known_facts); otherwise the request as it is. Either way it carries the digest.
 */
export function withFactsOnce(request: SyncRequest & NodeFacts, acknowledged: string): SyncRequest {
  const digest = factsDigest(request);
  if (digest !== acknowledged) return { ...request, factsDigest: digest, factsOmitted: false };
  const { address: _a, labels: _l, cpuCores: _c, memoryBytes: _m, runtime: _r, plugins: _p, agentVersion: _v, ...rest } = request;
  return { ...rest, factsDigest: digest, factsOmitted: true };
}
