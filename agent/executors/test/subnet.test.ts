/** Subnets of the task network: parsing, overlap with the host's routes, picking a free /24. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatSubnet, hostRoutes, overlaps, parseSubnet, pickFreeSubnet, routeOverlap } from '../subnet';

const s = (cidr: string) => {
  const parsed = parseSubnet(cidr);
  assert.ok(parsed, cidr);
  return parsed;
};

describe('task network subnets', () => {
  it('parses CIDRs and refuses host bits, bad prefixes and non-addresses', () => {
    assert.equal(formatSubnet(s('10.213.0.0/16')), '10.213.0.0/16');
    assert.equal(formatSubnet(s('0.0.0.0/0')), '0.0.0.0/0');
    assert.equal(formatSubnet(s('192.168.1.7/32')), '192.168.1.7/32');
    for (const bad of ['10.213.0.1/16', '10.213.0.0/33', '10.213.0.0', '10.256.0.0/16', 'a.b.c.d/8', '10.213.0/16'])
      assert.equal(parseSubnet(bad), undefined, bad);
  });

  it('overlaps when one contains the other', () => {
    assert.ok(overlaps(s('10.213.0.0/16'), s('10.213.7.0/24')));
    assert.ok(overlaps(s('10.213.7.0/24'), s('10.213.0.0/16')));
    assert.ok(overlaps(s('10.213.7.0/24'), s('10.213.7.0/24')));
    assert.ok(!overlaps(s('10.213.7.0/24'), s('10.213.8.0/24')));
    assert.ok(!overlaps(s('10.213.0.0/16'), s('10.214.0.0/16')));
  });

  it("reads the host's routes from /proc/net/route (little-endian hex), without the default route", () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-routes-'));
    try {
      const table = join(dir, 'route');
      writeFileSync(
        table,
        [
          'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
          'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
          'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
          'br-1\t0000D50A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
          '',
        ].join('\n'),
      );
      const routes = hostRoutes(table);
      assert.deepEqual(
        routes.map((r) => `${r.iface} ${formatSubnet(r.subnet)}`),
        ['eth0 192.0.2.0/24', 'br-1 10.213.0.0/16'],
      );
      assert.equal(routeOverlap(s('10.213.9.0/24'), routes)?.iface, 'br-1');
      assert.equal(routeOverlap(s('10.214.0.0/16'), routes), undefined);
      assert.deepEqual(hostRoutes(join(dir, 'missing')), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('picks a /24 no route touches, and says so when none is left', () => {
    const routes = [{ iface: 'x', subnet: s('10.216.0.0/23') }];
    for (let i = 0; i < 20; i++) {
      const picked = s(pickFreeSubnet('10.216.0.0/22', routes));
      assert.equal(picked.prefix, 24);
      assert.ok(['10.216.2.0/24', '10.216.3.0/24'].includes(formatSubnet(picked)));
    }
    assert.throws(() => pickFreeSubnet('10.216.0.0/23', routes), /no free \/24 left in 10\.216\.0\.0\/23/);
  });
});
