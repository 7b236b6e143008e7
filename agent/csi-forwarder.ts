import { invalidArgument, notFound, permissionDenied, rephrase } from '../lib/errors';
import type { CsiCallRequest__Output } from '../proto/berth/generated/berth/agent/v1/CsiCallRequest';
import { CsiClient } from '../volumes/csi-client/client';
import { CsiCallError } from '../volumes/csi-client/errors';

/**
 * The agent's half of reaching a node-local plugin's controller from the server: one CSI call,
 * forwarded byte for byte to the plugin registered here under that name. Node service calls are not
 * forwarded — staging and publishing are this agent's own business — and neither is any path that is
 * not a CSI method.
 */
const FORWARDABLE = /^\/csi\.v1\.(Identity|Controller|GroupController)\/[A-Za-z]{1,64}$/;
const PLUGIN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const MAX_TIMEOUT_MS = 10 * 60_000;

export async function forwardCsiCall(request: CsiCallRequest__Output, clientFor: (plugin: string) => CsiClient | undefined): Promise<Buffer> {
  if (!PLUGIN_NAME.test(request.plugin)) throw invalidArgument(`invalid plugin name ${JSON.stringify(request.plugin)}`);
  if (!FORWARDABLE.test(request.methodPath)) {
    throw permissionDenied(`${JSON.stringify(request.methodPath)} is not an Identity, Controller or GroupController method; only those are forwarded`);
  }
  const client = clientFor(request.plugin);
  if (!client) throw notFound(`CSI plugin ${request.plugin} is not registered on this node`);
  const timeoutMs = Math.min(request.timeoutMs > 0 ? request.timeoutMs : 60_000, MAX_TIMEOUT_MS);
  try {
    return await client.callSerialized(request.methodPath, request.request, timeoutMs);
  } catch (error) {
    // The plugin's own status and words go back unchanged (its code answers that status again): the
    // server decides on NOT_FOUND, ABORTED… as if it had called directly.
    if (error instanceof CsiCallError) throw rephrase(error, error.reason);
    throw error;
  }
}
