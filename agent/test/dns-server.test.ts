import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import * as dnsPacket from 'dns-packet';
import pino from 'pino';
import { DnsServer, parseListen } from '../dns/dns-server';

function udpQuery(address: string, question: dnsPacket.Question): Promise<dnsPacket.DecodedPacket> {
  const { host, port } = parseListen(address) as { host: string; port: number };
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no UDP answer'));
    }, 2000);
    socket.on('message', (m) => {
      clearTimeout(timer);
      socket.close();
      resolve(dnsPacket.decode(m));
    });
    socket.send(dnsPacket.encode({ type: 'query', id: 7, questions: [question] }), port, host);
  });
}

function tcpQuery(address: string, question: dnsPacket.Question): Promise<dnsPacket.DecodedPacket> {
  const { host, port } = parseListen(address) as { host: string; port: number };
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    let data = Buffer.alloc(0);
    socket.on('data', (c: Buffer) => {
      data = Buffer.concat([data, c]);
      if (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
        socket.end();
        resolve(dnsPacket.streamDecode(data) as dnsPacket.DecodedPacket);
      }
    });
    socket.on('error', reject);
    socket.write(dnsPacket.streamEncode({ type: 'query', id: 8, questions: [question] }));
  });
}

describe('agent DNS server: UDP and TCP on one address', () => {
  let dns: DnsServer;
  before(async () => {
    dns = await DnsServer.start('127.0.0.1:0', pino({ level: 'silent' }));
  });
  after(() => dns?.close());

  it('answers over both from the endpoints it was last given', async () => {
    assert.match(dns.address, /^127\.0\.0\.1:\d+$/);
    const ep = { app: 'web', instance: 0, taskId: 'web-0', nodeId: 'n1', address: '127.0.0.1', ports: [{ name: 'http', port: 20001 }], ready: true };
    dns.update([ep]);
    const udp = await udpQuery(dns.address, { type: 'A', name: '0.web.berth' });
    assert.equal(udp.id, 7);
    assert.deepEqual(
      (udp.answers ?? []).map((a) => ('data' in a ? a.data : '')),
      ['127.0.0.1'],
    );
    const tcp = await tcpQuery(dns.address, { type: 'SRV', name: '_http._tcp.web.berth' });
    assert.equal(tcp.id, 8);
    assert.equal((tcp.answers?.[0] as dnsPacket.SrvAnswer | undefined)?.data.port, 20001);
    dns.update([]);
    assert.equal((await udpQuery(dns.address, { type: 'A', name: '0.web.berth' })).flags! & 0xf, 3); // NXDOMAIN
  });

  it('refuses a malformed listen address', () => {
    assert.equal(typeof parseListen('8600'), 'string');
    assert.equal(typeof parseListen('127.0.0.1:99999'), 'string');
    assert.deepEqual(parseListen('[::1]:53'), { host: '::1', port: 53 });
  });
});
