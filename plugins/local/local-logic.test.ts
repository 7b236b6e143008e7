import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { GRPC_STATUS } from '../../lib/errors/grpc-status';
import { CsiError } from '../sdk/errors';
import { capabilityProblem, capacityFits, requireCapabilities, resolveCapacity } from './capabilities';
import { parsePoolSpec, parseSize } from './pool-spec';

describe('local plugin (pure logic)', () => {
  it('parses pool specs of each kind and rejects malformed ones', () => {
    assert.deepEqual(parsePoolSpec('ssd=/mnt/ssd'), { name: 'ssd', kind: 'btrfs', path: '/mnt/ssd' });
    assert.deepEqual(parsePoolSpec('a=file:/var/a.img:2G'), { name: 'a', kind: 'btrfs-file', image: '/var/a.img', sizeBytes: 2 * 1024 ** 3 });
    assert.deepEqual(parsePoolSpec('d=dir:/srv/d'), { name: 'd', kind: 'dir', path: '/srv/d' });
    for (const bad of ['nopath', '=/x', 'Bad_Name=/x', 'a=relative', 'a=file:/x', 'a=file:/x:lots']) assert.throws(() => parsePoolSpec(bad), Error, bad);
    assert.equal(parseSize('64Mi'), 64 * 1024 * 1024);
    assert.equal(parseSize('1048576'), 1048576);
  });

  it('picks the provisioned size from a capacity range', () => {
    assert.equal(resolveCapacity(undefined, 1 << 20), 1 << 20);
    assert.equal(resolveCapacity({ requiredBytes: '5000' }, 1 << 20), 8192, 'rounded up to 4 KiB');
    assert.equal(resolveCapacity({ limitBytes: '65536' }, 1 << 20), 65536, 'default capped by the limit');
    assert.equal(resolveCapacity({ requiredBytes: '5000', limitBytes: '6000' }, 1 << 20), 5000, 'no rounding past the limit');
    assert.throws(
      () => resolveCapacity({ requiredBytes: '10', limitBytes: '5' }, 1),
      (e: unknown) => e instanceof CsiError && GRPC_STATUS[e.code] === status.OUT_OF_RANGE,
    );
    assert.ok(capacityFits(100, { requiredBytes: '50', limitBytes: '100' }));
    assert.ok(!capacityFits(100, { requiredBytes: '150' }));
  });

  it('supports single-node modes only and one access type per request', () => {
    const mount = (mode: string, fsType = '') => ({ mount: { fsType }, accessMode: { mode } });
    assert.equal(capabilityProblem(mount('SINGLE_NODE_WRITER'), 'btrfs'), null);
    assert.match(capabilityProblem(mount('MULTI_NODE_MULTI_WRITER'), 'btrfs') ?? '', /one node/);
    assert.match(capabilityProblem(mount('SINGLE_NODE_WRITER', 'xfs'), 'btrfs') ?? '', /fs_type xfs/);
    assert.equal(requireCapabilities([{ block: {}, accessMode: { mode: 'SINGLE_NODE_WRITER' } }], 'btrfs'), 'block');
    assert.throws(
      () => requireCapabilities([mount('SINGLE_NODE_WRITER'), { block: {}, accessMode: { mode: 'SINGLE_NODE_WRITER' } }], 'btrfs'),
      /block or mount/,
    );
  });
});
