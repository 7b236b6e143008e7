import * as dnsPacket from 'dns-packet';
import { isIPv4, isIPv6 } from 'node:net';
import type { Endpoint } from '../../core/domain';

/**
 * The `.berth` zone, answered from the cluster's endpoints (pure: agent/dns/dns-server.ts does the
 * sockets). Names:
 *   <app>.berth                      A/AAAA: every ready instance's address; SRV: every named port of each
 *   <instance>.<app>.berth           the same for one instance (e.g. 0.pg.berth)
 *   _<port>._tcp.<app>.berth         SRV: the port named <port> of every ready instance
 *   _<port>._tcp.<instance>.<app>.berth
 * SRV targets are `<instance>.<app>.berth` (their addresses come along as additional records), so a
 * client learns instance, address and port from one query. Only ready endpoints are answered; a name
 * with none is NXDOMAIN. Names outside the zone are REFUSED: this is no recursive resolver.
 * TTL 0: answers follow the cluster, so nobody should keep them.
 */
export const ZONE = 'berth';
const TTL = 0;

const RCODE = { NOERROR: 0, FORMERR: 1, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export type Rcode = keyof typeof RCODE;

const SOA: dnsPacket.Answer = {
  type: 'SOA',
  name: ZONE,
  ttl: TTL,
  // minimum 0: a resolver must not cache that a name does not exist (it may exist a second later).
  data: { mname: `ns.${ZONE}`, rname: `hostmaster.${ZONE}`, serial: 1, refresh: 60, retry: 10, expire: 600, minimum: 0 },
};

/**
 * Which address and ports of an endpoint an answer gives: the node's address and host ports (reachable
 * from anywhere the node is), or — for a client on the same bridge network — the container's address
 * and container ports, where the endpoint has them.
 */
export type AnswerView = 'node' | 'container';

/** A question's type: the record types, and ANY (255), which dns-packet decodes but does not type. */
export type QueryType = dnsPacket.RecordType | 'ANY';

export interface Lookup {
  rcode: Rcode;
  answers: dnsPacket.Answer[];
  additionals: dnsPacket.Answer[];
  authorities: dnsPacket.Answer[];
}

interface Reach {
  address: string;
  ports: { name: string; port: number }[];
}

function reach(e: Endpoint, view: AnswerView): Reach {
  if (view === 'container' && e.containerAddress) {
    return { address: e.containerAddress, ports: e.ports.map((p) => ({ name: p.name, port: p.containerPort ?? p.port })) };
  }
  return { address: e.address, ports: e.ports.map((p) => ({ name: p.name, port: p.port })) };
}

/** A name of the zone taken apart, or undefined when it is not one Berth serves. */
interface Query {
  app: string;
  instance?: number;
  port?: string;
}

function parse(labels: string[]): Query | undefined {
  const [first, second] = labels;
  if (first?.startsWith('_') && second === '_tcp') {
    const port = first.slice(1);
    const rest = parse(labels.slice(2));
    return rest && rest.port === undefined && port ? { ...rest, port } : undefined;
  }
  if (labels.length === 1) return { app: labels[0] };
  if (labels.length === 2 && /^(0|[1-9][0-9]{0,5})$/.test(labels[0])) return { app: labels[1], instance: Number(labels[0]) };
  return undefined;
}

function addressRecords(name: string, address: string, type: 'A' | 'AAAA' | 'ANY'): dnsPacket.Answer[] {
  if (isIPv4(address) && type !== 'AAAA') return [{ type: 'A', name, ttl: TTL, data: address }];
  if (isIPv6(address) && type !== 'A') return [{ type: 'AAAA', name, ttl: TTL, data: address }];
  return [];
}

/** What `name` (any case, with or without the final dot) of type `type` resolves to. */
export function lookup(name: string, type: QueryType, endpoints: readonly Endpoint[], view: AnswerView = 'node'): Lookup {
  const lower = name.toLowerCase().replace(/\.$/, '');
  const empty = (rcode: Rcode): Lookup => ({ rcode, answers: [], additionals: [], authorities: rcode === 'REFUSED' ? [] : [SOA] });
  if (lower !== ZONE && !lower.endsWith(`.${ZONE}`)) return empty('REFUSED');
  if (lower === ZONE)
    return type === 'SOA' || type === 'ANY' ? { rcode: 'NOERROR', answers: [{ ...SOA, name }], additionals: [], authorities: [] } : empty('NOERROR');
  const query = parse(lower.slice(0, -(ZONE.length + 1)).split('.'));
  if (!query) return empty('NXDOMAIN');
  const selected = endpoints
    .filter((e) => e.ready && e.app === query.app && (query.instance === undefined || e.instance === query.instance))
    .map((e) => ({ e, at: reach(e, view) }))
    .map(({ e, at }) => ({ e, at: query.port === undefined ? at : { ...at, ports: at.ports.filter((p) => p.name === query.port) } }))
    .filter(({ at }) => query.port === undefined || at.ports.length > 0)
    .sort((a, b) => a.e.instance - b.e.instance);
  if (selected.length === 0) return empty('NXDOMAIN');

  const answers: dnsPacket.Answer[] = [];
  const additionals: dnsPacket.Answer[] = [];
  if (query.port === undefined && (type === 'A' || type === 'AAAA' || type === 'ANY')) {
    // One record per address: instances sharing a node share its address (their SRV records tell them apart).
    for (const address of new Set(selected.map(({ at }) => at.address))) answers.push(...addressRecords(name, address, type));
  }
  if (type === 'SRV' || type === 'ANY') {
    for (const { e, at } of selected) {
      // A node known by a host name (no IP for an A record) is the target itself.
      const target = isIPv4(at.address) || isIPv6(at.address) ? `${e.instance}.${e.app}.${ZONE}` : at.address;
      for (const p of at.ports) answers.push({ type: 'SRV', name, ttl: TTL, data: { priority: 0, weight: 1, port: p.port, target } });
      if (at.ports.length > 0) additionals.push(...addressRecords(target, at.address, 'ANY'));
    }
  }
  // A name that exists without records of this type: NOERROR with no answers (NODATA), the SOA saying so.
  return { rcode: 'NOERROR', answers, additionals, authorities: answers.length === 0 ? [SOA] : [] };
}

/** The largest UDP answer: what the query's EDNS record offers (capped), else the classic 512 bytes. */
export function udpLimit(query: dnsPacket.Packet): number {
  const opt = query.additionals?.find((a): a is dnsPacket.OptAnswer => a.type === 'OPT');
  return opt ? Math.min(Math.max(opt.udpPayloadSize, 512), 4096) : 512;
}

/** The response to a decoded query; `limit` bytes at most (UDP), else marked truncated so the client asks over TCP. */
export function respond(query: dnsPacket.DecodedPacket, endpoints: readonly Endpoint[], view: AnswerView = 'node', limit = Infinity): dnsPacket.Packet {
  const opcode = ((query.flags ?? 0) >> 11) & 0xf;
  const questions = query.questions ?? [];
  const rd = (query.flags ?? 0) & dnsPacket.RECURSION_DESIRED;
  const hasOpt = query.additionals?.some((a) => a.type === 'OPT') ?? false;
  const opt: dnsPacket.Answer[] = hasOpt
    ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }]
    : [];
  const reply = (rcode: Rcode, l?: Lookup): dnsPacket.Packet => ({
    type: 'response',
    id: query.id,
    flags: dnsPacket.AUTHORITATIVE_ANSWER | rd | RCODE[rcode],
    questions,
    answers: l?.answers ?? [],
    authorities: l?.authorities ?? [],
    additionals: [...(l?.additionals ?? []), ...opt],
  });
  if (opcode !== 0) return reply('NOTIMP');
  if (questions.length !== 1) return reply('FORMERR');
  const [q] = questions;
  const found = lookup(q.name, q.type, endpoints, view);
  const full = reply(found.rcode, found);
  if (dnsPacket.encodingLength(full) <= limit) return full;
  return { ...reply(found.rcode), flags: (full.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE };
}

/** The RCODE of a response's flags (for tests and logs). */
export function rcodeOf(flags: number | undefined): Rcode | undefined {
  const code = (flags ?? 0) & 0xf;
  return (Object.keys(RCODE) as Rcode[]).find((k) => RCODE[k] === code);
}
