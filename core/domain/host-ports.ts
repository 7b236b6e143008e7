/**
 * Host ports as node resources. A task holds named host ports on its node; no two holders share one.
 * Ports fixed by the user are asked for as they are; the others ("dynamic") are picked by the ledger,
 * inside the reservation's transaction, from the node's dynamic range.
 */
export const MIN_PORT = 1;
export const MAX_PORT = 65535;

/** One host port a reservation holds, under the name of the app's port it serves. */
export interface HostPort {
  readonly name: string;
  readonly port: number;
}

/** Inclusive range the ledger picks dynamic host ports from. */
export interface PortRange {
  readonly first: number;
  readonly last: number;
}

/** Below Linux's ephemeral range (32768–60999), so picked ports do not meet outgoing connections' ports. */
export const DEFAULT_HOST_PORT_RANGE: PortRange = Object.freeze({ first: 20000, last: 32767 });

/** A host port to be picked by the ledger; `preferred` is tried first (the port the task had on this node). */
export interface DynamicPortRequest {
  readonly name: string;
  readonly preferred?: number;
}

/** "20000-32767" → the range, or a message saying what is wrong. */
export function parsePortRange(text: string): PortRange | string {
  const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text);
  if (!m) return `expected a port range like "20000-32767", got ${JSON.stringify(text)}`;
  const first = Number(m[1]);
  const last = Number(m[2]);
  if (first < MIN_PORT || last > MAX_PORT) return `ports must be from ${MIN_PORT} to ${MAX_PORT}, got ${text.trim()}`;
  if (first > last) return `the range's first port must not exceed its last, got ${text.trim()}`;
  return { first, last };
}

export function formatPortRange(range: PortRange): string {
  return `${range.first}-${range.last}`;
}

/** "db=20001,admin=8080": for events, `berth get tasks` and describe. */
export function formatHostPorts(ports: readonly HostPort[]): string {
  return ports.map((p) => `${p.name}=${p.port}`).join(',');
}

/** Ports of `used` (port → holders) within `range`. */
export function usedInRange(used: ReadonlyMap<number, number> | undefined, range: PortRange): number {
  if (!used) return 0;
  let n = 0;
  for (const [port, holders] of used) if (holders > 0 && port >= range.first && port <= range.last) n++;
  return n;
}

/**
 * Picks a free port of `range` for each request, else undefined (not enough free). A port is free when
 * no holder has it (`used`) other than the one being replaced (`credit`), and this call has not taken it
 * (`taken`, the request's fixed ports). Preference: the request's `preferred` port, then the port of the
 * same name in `credit` (a re-placement on the same node keeps its ports), then a scan from `start`.
 */
export function pickDynamicPorts(
  requests: readonly DynamicPortRequest[],
  range: PortRange,
  used: ReadonlyMap<number, number> | undefined,
  credit: readonly HostPort[] | undefined,
  taken: ReadonlySet<number>,
  start: number,
): HostPort[] | undefined {
  const chosen = new Set(taken);
  const isFree = (port: number): boolean => {
    if (chosen.has(port) || port < MIN_PORT || port > MAX_PORT) return false;
    const holders = used?.get(port) ?? 0;
    return holders === 0 || (holders === 1 && credit !== undefined && credit.some((c) => c.port === port));
  };
  const out: HostPort[] = [];
  const size = range.last - range.first + 1;
  let cursor = ((start % size) + size) % size;
  for (const request of requests) {
    const own = credit?.find((c) => c.name === request.name)?.port;
    let port = [request.preferred, own].find((p) => p !== undefined && isFree(p));
    for (let i = 0; port === undefined && i < size; i++) {
      const candidate = range.first + ((cursor + i) % size);
      if (isFree(candidate)) {
        port = candidate;
        cursor = (cursor + i + 1) % size;
      }
    }
    if (port === undefined) return undefined;
    chosen.add(port);
    out.push({ name: request.name, port });
  }
  return out;
}
