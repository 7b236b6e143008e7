/**
 * IPv4 subnets for the task network: parsing "10.213.0.0/16", overlap with the host's own routes (a
 * bridge on a subnet the host already routes elsewhere would take that traffic, or lose its own), and
 * picking a free one (tests, which run several private dockerds side by side).
 */
import { readFileSync } from 'node:fs';

export interface Subnet {
  /** The network address as an unsigned 32-bit number. */
  readonly base: number;
  readonly prefix: number;
}

function ipToNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function numberToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** "10.213.0.0/16" → its subnet; undefined when it is not a CIDR or has host bits set. */
export function parseSubnet(cidr: string): Subnet | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) return undefined;
  const base = ipToNumber(m[1]!);
  const prefix = Number(m[2]);
  if (base === undefined || prefix > 32) return undefined;
  if ((base & mask(prefix)) >>> 0 !== base) return undefined;
  return { base, prefix };
}

export function formatSubnet(s: Subnet): string {
  return `${numberToIp(s.base)}/${s.prefix}`;
}

/** Two subnets overlap when the shorter prefix's network contains the other's base. */
export function overlaps(a: Subnet, b: Subnet): boolean {
  const m = mask(Math.min(a.prefix, b.prefix));
  return (a.base & m) >>> 0 === (b.base & m) >>> 0;
}

export interface HostRoute {
  readonly iface: string;
  readonly subnet: Subnet;
}

/** The host's IPv4 routes but the default one (/proc/net/route: little-endian hex addresses and masks). */
export function hostRoutes(routeTable = '/proc/net/route'): HostRoute[] {
  let text: string;
  try {
    text = readFileSync(routeTable, 'utf8');
  } catch {
    return [];
  }
  const routes: HostRoute[] = [];
  for (const line of text.split('\n').slice(1)) {
    const [iface, dest, , , , , , maskHex] = line.trim().split(/\s+/);
    if (!iface || !dest || !maskHex) continue;
    const le = (hex: string) => Number.parseInt(hex.match(/../g)!.reverse().join(''), 16) >>> 0;
    const m = le(maskHex);
    if (m === 0) continue;
    const prefix = m.toString(2).replace(/0+$/, '').length;
    routes.push({ iface, subnet: { base: (le(dest) & m) >>> 0, prefix } });
  }
  return routes;
}

/** The host route `subnet` would collide with, if any. */
export function routeOverlap(subnet: Subnet, routes: readonly HostRoute[] = hostRoutes()): HostRoute | undefined {
  return routes.find((r) => overlaps(subnet, r.subnet));
}

/**
 * A /24 inside `within` that no host route touches, chosen at random so that test processes running at
 * the same time rarely pick the same one (the agent refuses a subnet that a route already covers).
 */
export function pickFreeSubnet(within = '10.213.0.0/16', routes: readonly HostRoute[] = hostRoutes()): string {
  const outer = parseSubnet(within);
  if (!outer || outer.prefix > 24) throw new Error(`${within} is not a subnet of /24s`);
  const count = 2 ** (24 - outer.prefix);
  const start = Math.floor(Math.random() * count);
  for (let i = 0; i < count; i++) {
    const candidate = { base: outer.base + ((start + i) % count) * 256, prefix: 24 };
    if (!routeOverlap(candidate, routes)) return formatSubnet(candidate);
  }
  throw new Error(`no free /24 left in ${within}: every one overlaps a host route`);
}
