import { randomBytes } from 'node:crypto';

/**
 * Volume and snapshot ids are minted here, so their shape is known: safe as a file name, and safe inside
 * an IQN (lower-case hex, '-'). Anything of another shape cannot name an object of this plugin.
 */
export const newVolumeId = (): string => `vol-${randomBytes(8).toString('hex')}`;
export const newSnapshotId = (): string => `snap-${randomBytes(8).toString('hex')}`;

export const VOLUME_ID = /^vol-[0-9a-f]{16}$/;
export const SNAPSHOT_ID = /^snap-[0-9a-f]{16}$/;

/**
 * IQN grammar (RFC 3720 §3.2.6.3.1) restricted to what this plugin writes and accepts: `iqn.YYYY-MM.`
 * reversed domain, optional `:` suffix of lower-case letters, digits, '.', '-', ':'. No spaces, commas,
 * '=' or quotes, so an IQN can never split a tgtadm parameter string or a qemu `--image-opts` list.
 */
export const IQN = /^iqn\.\d{4}-\d{2}\.[a-z0-9](?:[a-z0-9.-]{0,200}[a-z0-9])?(?::[a-z0-9][a-z0-9.:-]{0,200})?$/;
/** The prefix part only (no ':' suffix): targets are `${prefix}:${volumeId}`. */
export const IQN_PREFIX = /^iqn\.\d{4}-\d{2}\.[a-z0-9](?:[a-z0-9.-]{0,100}[a-z0-9])?$/;

export const targetIqn = (prefix: string, volumeId: string): string => `${prefix}:${volumeId}`;

/** The initiator IQN a node uses when none is configured: derived from the node id. */
export const defaultInitiatorIqn = (prefix: string, nodeId: string): string | undefined =>
  /^[a-z0-9][a-z0-9.-]{0,62}$/.test(nodeId) ? `${prefix}:node.${nodeId}` : undefined;

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6 = /^[0-9a-fA-F:]{2,39}$/;
export const isIpAddress = (s: string): boolean => IPV4.test(s) || (s.includes(':') && IPV6.test(s));

const HOSTNAME = /^[a-z0-9](?:[a-z0-9-]{0,62})(?:\.[a-z0-9](?:[a-z0-9-]{0,62}))*$/i;

/** `HOST:PORT` with HOST an IPv4 address or a DNS name (IPv6 portals as `[addr]:port`). */
export function parsePortal(text: string): { host: string; port: number } | undefined {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const host = m[1];
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  if (host.startsWith('[') ? !IPV6.test(host.slice(1, -1)) : !(IPV4.test(host) || HOSTNAME.test(host))) return undefined;
  return { host, port };
}
