import assert from 'node:assert/strict';
import * as dnsPacket from 'dns-packet';
import type { Endpoint } from '../../core/domain';
import { lookup, rcodeOf, respond } from '../dns/answers';

const endpoint = (app: string, instance: number, address: string, ports: [string, number, number?][], extra: Partial<Endpoint> = {}): Endpoint => ({
  app,
  instance,
  taskId: `${app}-${instance}`,
  nodeId: 'n1',
  address,
  ports: ports.map(([name, port, containerPort]) => ({ name, port, ...(containerPort ? { containerPort } : {}) })),
  ready: true,
  ...extra,
});

const ENDPOINTS: Endpoint[] = [
  endpoint('web', 0, '10.0.0.1', [
    ['http', 20001],
    ['admin', 20002],
  ]),
  endpoint('web', 1, '10.0.0.2', [
    ['http', 20003],
    ['admin', 20004],
  ]),
  endpoint('web', 2, '10.0.0.3', [['http', 20005]], { ready: false }), // failing its readiness check
  endpoint('pg', 0, '10.0.0.1', [['db', 20010, 5432]], { containerAddress: '172.30.0.5' }),
  endpoint('pg', 1, '10.0.0.1', [['db', 20011, 5432]], { containerAddress: '172.30.0.6' }),
  endpoint('v6', 0, 'fd00::1', [['http', 20020]]),
];

const data = (answers: dnsPacket.Answer[]) => answers.map((a) => ('data' in a ? a.data : undefined));

describe('agent DNS: names of the .berth zone → answers', () => {
  it('answers A for an app with every ready instance, and for one instance by its number', () => {
    const app = lookup('web.berth', 'A', ENDPOINTS);
    assert.equal(app.rcode, 'NOERROR');
    assert.deepEqual(data(app.answers), ['10.0.0.1', '10.0.0.2']);
    assert.ok(app.answers.every((a) => a.name === 'web.berth' && a.type === 'A' && a.ttl === 0));
    assert.deepEqual(data(lookup('1.web.berth.', 'A', ENDPOINTS).answers), ['10.0.0.2']);
    // Names are case-insensitive.
    assert.deepEqual(data(lookup('0.WEB.Berth', 'A', ENDPOINTS).answers), ['10.0.0.1']);
  });

  it('leaves out instances that are not ready: a name with none left is NXDOMAIN', () => {
    assert.equal(lookup('2.web.berth', 'A', ENDPOINTS).rcode, 'NXDOMAIN');
    assert.equal(lookup('2.web.berth', 'A', ENDPOINTS).authorities[0]?.type, 'SOA');
  });

  it('gives one A record per address: instances on one node share it', () => {
    assert.deepEqual(data(lookup('pg.berth', 'A', ENDPOINTS).answers), ['10.0.0.1']);
    assert.equal(lookup('pg.berth', 'SRV', ENDPOINTS).answers.length, 2);
  });

  it('answers SRV per named port, targeting <instance>.<app>.berth with its address as additional record', () => {
    const srv = lookup('_http._tcp.web.berth', 'SRV', ENDPOINTS);
    assert.equal(srv.rcode, 'NOERROR');
    assert.deepEqual(data(srv.answers), [
      { priority: 0, weight: 1, port: 20001, target: '0.web.berth' },
      { priority: 0, weight: 1, port: 20003, target: '1.web.berth' },
    ]);
    assert.deepEqual(
      srv.additionals.map((a) => [a.name, a.type, 'data' in a ? a.data : '']),
      [
        ['0.web.berth', 'A', '10.0.0.1'],
        ['1.web.berth', 'A', '10.0.0.2'],
      ],
    );
    // SRV of the app itself: every named port of every ready instance; of one instance: its ports.
    assert.deepEqual(
      data(lookup('web.berth', 'SRV', ENDPOINTS).answers).map((d) => (d as dnsPacket.SrvData).port),
      [20001, 20002, 20003, 20004],
    );
    assert.deepEqual(
      data(lookup('_admin._tcp.1.web.berth', 'SRV', ENDPOINTS).answers).map((d) => (d as dnsPacket.SrvData).port),
      [20004],
    );
  });

  it('answers NXDOMAIN for unknown names and ports of the zone, REFUSED outside it', () => {
    for (const name of ['nope.berth', '5.web.berth', '_nope._tcp.web.berth', 'a.b.web.berth', '_http._tcp.berth', '_http._udp.web.berth', '01.web.berth'])
      assert.equal(lookup(name, 'A', ENDPOINTS).rcode, 'NXDOMAIN', name);
    assert.equal(lookup('example.com', 'A', ENDPOINTS).rcode, 'REFUSED');
    assert.equal(lookup('web.berth.example.com', 'A', ENDPOINTS).rcode, 'REFUSED');
    assert.equal(lookup('berthx', 'A', ENDPOINTS).rcode, 'REFUSED');
  });

  it('answers NOERROR without records for a type a name does not have, and SOA at the apex', () => {
    const aaaa = lookup('web.berth', 'AAAA', ENDPOINTS);
    assert.equal(aaaa.rcode, 'NOERROR');
    assert.equal(aaaa.answers.length, 0);
    assert.equal(aaaa.authorities[0]?.type, 'SOA');
    assert.deepEqual(data(lookup('v6.berth', 'AAAA', ENDPOINTS).answers), ['fd00::1']);
    assert.equal(lookup('berth', 'SOA', ENDPOINTS).answers[0]?.type, 'SOA');
  });

  it('answers container addresses and ports in the container view, node ones otherwise', () => {
    assert.deepEqual(data(lookup('pg.berth', 'A', ENDPOINTS, 'container').answers), ['172.30.0.5', '172.30.0.6']);
    assert.deepEqual(
      data(lookup('_db._tcp.0.pg.berth', 'SRV', ENDPOINTS, 'container').answers).map((d) => (d as dnsPacket.SrvData).port),
      [5432],
    );
    assert.deepEqual(
      data(lookup('_db._tcp.0.pg.berth', 'SRV', ENDPOINTS).answers).map((d) => (d as dnsPacket.SrvData).port),
      [20010],
    );
    // Without a container address, the container view falls back to the node's.
    assert.deepEqual(data(lookup('0.web.berth', 'A', ENDPOINTS, 'container').answers), ['10.0.0.1']);
  });

  it('builds a response that round-trips through the codec: id, question, authoritative, rcode', () => {
    const query = dnsPacket.decode(
      dnsPacket.encode({ type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: 'web.berth' }] }),
    );
    const out = dnsPacket.decode(dnsPacket.encode(respond(query, ENDPOINTS)));
    assert.equal(out.id, 4242);
    assert.equal(out.type, 'response');
    assert.ok(out.flag_aa && out.flag_rd && !out.flag_tc);
    assert.equal(rcodeOf(out.flags), 'NOERROR');
    assert.deepEqual(data(out.answers ?? []), ['10.0.0.1', '10.0.0.2']);
    const refused = dnsPacket.decode(dnsPacket.encode(respond({ ...query, questions: [{ type: 'A', name: 'example.com' }] }, ENDPOINTS)));
    assert.equal(rcodeOf(refused.flags), 'REFUSED');
  });

  it('marks a UDP answer larger than the client takes as truncated, with no records (the client asks again over TCP)', () => {
    const many = Array.from({ length: 40 }, (_, i) => endpoint('big', i, `10.1.0.${i + 1}`, [['http', 21000 + i]]));
    const query = dnsPacket.decode(dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'SRV', name: 'big.berth' }] }));
    const udp = respond(query, many, 'node', 512);
    assert.ok(((udp.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE) !== 0);
    assert.equal(udp.answers?.length, 0);
    assert.equal(respond(query, many, 'node', 65_535).answers?.length, 40);
  });
});
