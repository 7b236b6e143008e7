/**
 * Where a running task can be reached: its node's address with the host port of each named port of
 * its app, and — for a container on a Berth-managed bridge network — the container's own address
 * with the port it listens on inside. Derived from task records (server/discovery/endpoints.ts); the
 * agents serve them as DNS (agent/dns).
 */
export interface EndpointPort {
  /** The app's port name (spec.ports[].name). */
  readonly name: string;
  /** The host port the task holds on its node. */
  readonly port: number;
  /** The port inside the container; only with the endpoint's `containerAddress`. */
  readonly containerPort?: number;
}

export interface Endpoint {
  readonly app: string;
  readonly instance: number;
  readonly taskId: string;
  readonly nodeId: string;
  /** The node's address (host part of its agent's address): where host ports are published. */
  readonly address: string;
  /** The task's address on a Berth-managed bridge network, when it has one (docker tasks). */
  readonly containerAddress?: string;
  readonly ports: readonly EndpointPort[];
  /** Running and, when its app has a readiness check, passing it: only ready endpoints are served by DNS. */
  readonly ready: boolean;
}

/** "10.0.0.5:7422" → "10.0.0.5", "[::1]:7422" → "::1", "10.0.0.5" → "10.0.0.5". */
export function hostOfAddress(address: string): string {
  const colon = address.lastIndexOf(':');
  const bracketed = address.startsWith('[');
  // A bare IPv6 address has colons but no port: only "[v6]:port" or "host:port" carries one.
  if (!bracketed && address.indexOf(':') !== colon) return address;
  const host = colon > 0 && !address.endsWith(']') ? address.slice(0, colon) : address;
  return host.replace(/^\[|\]$/g, '');
}
