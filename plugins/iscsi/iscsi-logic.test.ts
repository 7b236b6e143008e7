import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { GRPC_STATUS } from '../../lib/errors/grpc-status';
import { CsiError } from '../sdk/errors';
import { capabilityProblem, resolveCapacity } from './capabilities';
import { IQN, defaultInitiatorIqn, parsePortal } from './ids';
import { parseInitiator, parseNodeInitiator, parsePoolSpec } from './options';
import { parseTargets } from './tgt';

const MiB = 1024 * 1024;

const SHOW = `Target 3: iqn.2025-01.io.berth:vol-00112233445566aa
    System information:
        Driver: iscsi
        State: ready
    I_T nexus information:
        I_T nexus: 4
            Initiator: iqn.2025-01.io.berth:node.node-a alias: none
            Connection: 0
    LUN information:
        LUN: 0
            Type: controller
            Backing store path: None
        LUN: 1
            Type: disk
            Backing store path: /pool/volumes/vol-00112233445566aa.img
    Account information:
    ACL information:
        127.0.0.1
        iqn.2025-01.io.berth:node.node-a
Target 7: iqn.2025-01.io.other:x
    System information:
    LUN information:
        LUN: 0
            Backing store path: None
    Account information:
    ACL information:
`;

describe('iscsi plugin (pure logic)', () => {
  it('parses tgtadm show: targets, LUN backing stores, ACLs and sessions', () => {
    const [a, b] = parseTargets(SHOW);
    assert.deepEqual(a, {
      tid: 3,
      iqn: 'iqn.2025-01.io.berth:vol-00112233445566aa',
      luns: [
        { lun: 0, backingStore: '' },
        { lun: 1, backingStore: '/pool/volumes/vol-00112233445566aa.img' },
      ],
      acls: ['127.0.0.1', 'iqn.2025-01.io.berth:node.node-a'],
      sessions: ['iqn.2025-01.io.berth:node.node-a'],
    });
    assert.deepEqual(b, { tid: 7, iqn: 'iqn.2025-01.io.other:x', luns: [{ lun: 0, backingStore: '' }], acls: [], sessions: [] });
  });

  it('accepts only IQNs and portals that cannot split a tgtadm or qemu option list', () => {
    for (const ok of ['iqn.2025-01.io.berth:vol-00112233445566aa', 'iqn.2003-01.org.linux-iscsi.host:sn.1']) assert.ok(IQN.test(ok), ok);
    for (const bad of ['iqn.2025-01.io.berth:vol,file.driver=file', 'iqn.2025-01.io.berth:a b', 'IQN.2025-01.X:y', 'iqn.2025-01.io.berth:=x', ''])
      assert.equal(IQN.test(bad), false, bad);
    assert.deepEqual(parsePortal('127.0.0.1:3260'), { host: '127.0.0.1', port: 3260 });
    for (const bad of ['127.0.0.1', '127.0.0.1:0', 'a,b:1', '-o:1', 'host:3260,x', '1.2.3.4:99999']) assert.equal(parsePortal(bad), undefined, bad);
  });

  it('parses pools and node initiators, and derives a node IQN only from a plain node id', () => {
    assert.deepEqual(parsePoolSpec('fast=/srv/pool/'), { name: 'fast', path: '/srv/pool' });
    for (const bad of ['fast=rel', 'fast=/a,b', 'Fast=/a', 'fast=/a/../b', '=/a']) assert.throws(() => parsePoolSpec(bad), Error, bad);
    assert.deepEqual(parseNodeInitiator('n1=iqn.2025-01.io.berth:node.n1,10.0.0.5'), {
      nodeId: 'n1',
      initiators: [
        { kind: 'iqn', value: 'iqn.2025-01.io.berth:node.n1' },
        { kind: 'address', value: '10.0.0.5' },
      ],
    });
    assert.throws(() => parseInitiator('host.example.com'));
    assert.equal(defaultInitiatorIqn('iqn.2025-01.io.berth', 'node-a'), 'iqn.2025-01.io.berth:node.node-a');
    assert.equal(defaultInitiatorIqn('iqn.2025-01.io.berth', 'Node_A'), undefined);
  });

  it('sizes volumes in whole MiB within the range, with a floor for xfs', () => {
    assert.equal(resolveCapacity({ requiredBytes: 1 }, 16 * MiB), MiB);
    assert.equal(resolveCapacity(undefined, 16 * MiB), 16 * MiB);
    assert.equal(resolveCapacity({ requiredBytes: 16 * MiB }, 0, 300 * MiB), 300 * MiB);
    assert.equal(resolveCapacity({ requiredBytes: MiB + 1, limitBytes: MiB + 8192 }, 0), MiB + 8192);
    assert.throws(
      () => resolveCapacity({ requiredBytes: 16 * MiB, limitBytes: 32 * MiB }, 0, 300 * MiB),
      (e: unknown) => e instanceof CsiError && GRPC_STATUS[e.code] === status.OUT_OF_RANGE,
    );
  });

  it('supports single-node modes, ext4/xfs, and strict mount flags', () => {
    assert.equal(capabilityProblem({ mount: { fsType: 'xfs' }, accessMode: { mode: 'SINGLE_NODE_WRITER' } }), null);
    assert.match(capabilityProblem({ mount: {}, accessMode: { mode: 'MULTI_NODE_MULTI_WRITER' } }) ?? '', /not supported/);
    assert.match(capabilityProblem({ mount: { fsType: 'btrfs' }, accessMode: { mode: 'SINGLE_NODE_WRITER' } }) ?? '', /fs_type/);
    assert.match(capabilityProblem({ mount: { mountFlags: ['noatime,exec'] }, accessMode: { mode: 'SINGLE_NODE_WRITER' } }) ?? '', /mount flag/);
  });
});
