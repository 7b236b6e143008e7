import { createSocket, type Socket } from 'node:dgram';
import { createServer, isIPv6, type Server, type Socket as TcpSocket } from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { Logger } from 'pino';
import type { Endpoint } from '../../core/domain';
import { respond, udpLimit } from './answers';

/** A TCP client that sends nothing for this long is dropped (RFC 7766 suggests seconds, not minutes). */
const TCP_IDLE_MS = 10_000;
/** A DNS message over TCP is at most 64 KiB; a client announcing more is not speaking DNS. */
const MAX_TCP_BUFFER = 65_537;

/** "127.0.0.1:8600" / "[::1]:8600" → host and port. */
export function parseListen(listen: string): { host: string; port: number } | string {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen.trim());
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) return `expected host:port (e.g. 127.0.0.1:8600, port 0 for any free one), got ${JSON.stringify(listen)}`;
  return { host: m[1] ?? m[2], port };
}

/**
 * The agent's DNS server for the `.berth` zone (agent/dns/answers.ts), on UDP and TCP at the same
 * address. It answers from the endpoints it was last given (`update`), so answers follow the
 * cluster as fast as the agent hears of changes.
 */
export class DnsServer {
  private endpoints: readonly Endpoint[] = [];

  private constructor(
    private readonly udp: Socket,
    private readonly tcp: Server,
    /** host:port it answers on (the port picked when asked for port 0). */
    readonly address: string,
  ) {}

  static async start(listen: string, log: Logger): Promise<DnsServer> {
    const parsed = parseListen(listen);
    if (typeof parsed === 'string') throw new Error(`--dns-listen: ${parsed}`);
    const { host } = parsed;
    // With port 0, UDP picks a port and TCP takes the same one; another process may hold it on TCP: pick again.
    for (let attempt = 0; ; attempt++) {
      const udp = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
      const port = await new Promise<number>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(parsed.port, host, () => {
          udp.off('error', reject);
          resolve(udp.address().port);
        });
      });
      const tcp = createServer();
      const bound = await new Promise<true | Error>((resolve) => {
        tcp.once('error', resolve);
        tcp.listen(port, host, () => {
          tcp.off('error', resolve);
          resolve(true);
        });
      });
      if (bound === true) {
        const server = new DnsServer(udp, tcp, `${isIPv6(host) ? `[${host}]` : host}:${port}`);
        server.serve(log);
        return server;
      }
      udp.close();
      if (parsed.port !== 0 || attempt >= 4) throw new Error(`DNS on TCP ${host}:${port}: ${bound.message}`);
    }
  }

  /** The endpoints to answer from from now on. */
  update(endpoints: readonly Endpoint[]): void {
    this.endpoints = endpoints;
  }

  /** The response to one message (`limit` 0: a UDP query's own limit), or undefined when it is no DNS query. */
  private answer(message: Buffer, limit: number): dnsPacket.Packet | undefined {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return undefined; // not DNS: no answer, as a malformed packet gets from most servers
    }
    if (query.type !== 'query') return undefined;
    return respond(query, this.endpoints, 'node', limit === 0 ? udpLimit(query) : limit);
  }

  private serve(log: Logger): void {
    this.udp.on('message', (message, from) => {
      const out = this.answer(message, 0);
      if (out) this.udp.send(dnsPacket.encode(out), from.port, from.address);
    });
    this.udp.on('error', (err) => log.warn({ err }, 'DNS (UDP) socket error'));
    this.tcp.on('connection', (socket: TcpSocket) => {
      let buffered = Buffer.alloc(0);
      socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
      socket.on('error', () => socket.destroy());
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        if (buffered.length > MAX_TCP_BUFFER) return socket.destroy();
        while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
          const length = buffered.readUInt16BE(0);
          const out = this.answer(buffered.subarray(2, 2 + length), 65_535);
          buffered = buffered.subarray(2 + length);
          if (!out) return socket.destroy();
          socket.write(dnsPacket.streamEncode(out));
        }
      });
    });
  }

  close(): void {
    this.udp.close();
    this.tcp.close();
  }
}
