import type { EndpointsRequest__Output } from '../../proto/berth/generated/berth/agent/v1/EndpointsRequest';
import type { EndpointsResponse } from '../../proto/berth/generated/berth/agent/v1/EndpointsResponse';
import { toWireEndpoint } from '../../proto/berth/endpoints-wire';
import type { ClusterContext } from '../cluster-context';
import type { EndpointFeed } from '../discovery/endpoints';

/**
 * Answers an agent's Endpoints call: at once when the endpoints differ from the ones it knows (its
 * fingerprint), else when they change, after wait_ms, or when the agent gives up the call. A change
 * of the store wakes it; the snapshot is computed once per revision for every waiting agent.
 */
export async function answerEndpoints(
  ctx: ClusterContext,
  feed: EndpointFeed,
  req: EndpointsRequest__Output,
  cancelled?: AbortSignal,
): Promise<EndpointsResponse> {
  let snapshot = feed.current();
  // Held no longer than a Sync: a stopping server waits for the calls it holds.
  const deadline = Date.now() + Math.min(req.waitMs, ctx.liveness.holdMs(ctx.options.nodeDownAfterMs, ctx.store.nodes.count()));
  while (snapshot.fingerprint === req.knownFingerprint && Date.now() < deadline && !cancelled?.aborted) {
    await ctx.waitForChange(deadline - Date.now(), cancelled);
    snapshot = feed.current();
  }
  if (snapshot.fingerprint === req.knownFingerprint) return { endpoints: [], fingerprint: snapshot.fingerprint };
  return { endpoints: snapshot.endpoints.map(toWireEndpoint), fingerprint: snapshot.fingerprint };
}
