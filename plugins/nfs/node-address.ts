import { isIP } from 'node:net';
import { isSafeId } from '../sdk/validate';

/**
 * How a CSI node id becomes the address a ganesha CLIENT block allows: an explicit `--node-address
 * NODEID=IP` entry wins; otherwise a node id that is itself an IPv4/IPv6 address stands for itself.
 * Anything else is an unknown node (ControllerPublishVolume answers NOT_FOUND).
 */
export function resolveNodeAddress(nodeId: string, map: ReadonlyMap<string, string>): string | undefined {
  const mapped = map.get(nodeId);
  if (mapped !== undefined) return mapped;
  return isIP(nodeId) ? nodeId : undefined;
}

/** Parses one `--node-address NODEID=IP` flag value. */
export function parseNodeAddress(text: string): [string, string] {
  const eq = text.indexOf('=');
  const nodeId = eq > 0 ? text.slice(0, eq) : '';
  const address = eq > 0 ? text.slice(eq + 1) : '';
  if (!isSafeId(nodeId) && !isIP(nodeId)) throw new Error(`invalid --node-address ${JSON.stringify(text)}: expected NODEID=IP`);
  if (!isIP(address)) throw new Error(`invalid --node-address ${JSON.stringify(text)}: ${JSON.stringify(address)} is not an IP address`);
  return [nodeId, address];
}
