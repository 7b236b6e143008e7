import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { GRPC_STATUS } from '../../lib/errors/grpc-status';
import { CsiError } from '../sdk/errors';
import { parseParameters } from './controller';
import { renderConfig, renderExport } from './ganesha-config';
import { parseNodeAddress, resolveNodeAddress } from './node-address';
import { mountSource } from './node';

const core = { bindAddress: '127.0.0.1', nfsPort: 2049, mountPort: 20048, recoveryRoot: '/var/lib/berth/nfs/recovery' };
const isInvalid = (e: unknown) => e instanceof CsiError && GRPC_STATUS[e.code] === status.INVALID_ARGUMENT;

describe('nfs plugin (pure logic)', () => {
  it('renders one export per volume, closed by default, with RW and RO client blocks', () => {
    const text = renderExport({
      exportId: 7,
      path: '/srv/nfs/exports/nfsvol-0123456789abcdef',
      squash: 'No_Root_Squash',
      clients: [
        { address: '10.0.0.2', readOnly: false },
        { address: '10.0.0.3', readOnly: true },
        { address: '10.0.0.2', readOnly: true },
      ],
    });
    assert.match(text, /Export_Id = 7;/);
    assert.match(text, /Access_Type = None;/);
    assert.match(text, /CLIENT \{ Clients = 10\.0\.0\.2; Access_Type = RW; \}/);
    assert.match(text, /CLIENT \{ Clients = 10\.0\.0\.3; Access_Type = RO; \}/);
    assert.doesNotMatch(text, /10\.0\.0\.2; Access_Type = RO/);
    assert.doesNotMatch(renderExport({ exportId: 1, path: '/a', squash: 'Root_Squash', clients: [] }), /CLIENT/);
  });

  it('refuses to write any value that could change the config structure', () => {
    for (const path of ['/a"b', '/a;b', '/a}b', '/a\nb', '/a b', 'rel', '/a/../b', '/a#b']) {
      assert.throws(() => renderExport({ exportId: 1, path, squash: 'No_Root_Squash', clients: [] }), /refusing/, path);
    }
    for (const address of ['*', '10.0.0.0/8', '1.2.3.4; Access_Type = RW', 'host', '1.2.3.4\n']) {
      assert.throws(() => renderExport({ exportId: 1, path: '/a', squash: 'No_Root_Squash', clients: [{ address, readOnly: false }] }), /refusing/, address);
    }
    assert.throws(() => renderExport({ exportId: 0, path: '/a', squash: 'No_Root_Squash', clients: [] }), /Export_Id/);
    assert.throws(
      () =>
        renderConfig(core, [
          { exportId: 1, path: '/a', squash: 'No_Root_Squash', clients: [] },
          { exportId: 1, path: '/b', squash: 'No_Root_Squash', clients: [] },
        ]),
      /twice/,
    );
    assert.throws(() => renderConfig({ ...core, bindAddress: '0.0.0.0; x' }, []), /refusing/);
  });

  it('maps node ids to addresses: explicit map first, an IP id stands for itself, anything else is unknown', () => {
    const map = new Map([parseNodeAddress('node-b=10.0.0.2')]);
    assert.equal(resolveNodeAddress('node-b', map), '10.0.0.2');
    assert.equal(resolveNodeAddress('10.0.0.9', map), '10.0.0.9');
    assert.equal(resolveNodeAddress('fd00::1', map), 'fd00::1');
    assert.equal(resolveNodeAddress('node-z', map), undefined);
    assert.throws(() => parseNodeAddress('node-b=not-an-ip'));
    assert.throws(() => parseNodeAddress('a b=10.0.0.1'));
  });

  it('accepts only known parameters with known values', () => {
    assert.equal(parseParameters({}), 'No_Root_Squash');
    assert.equal(parseParameters({ squash: 'all_squash' }), 'All_Squash');
    for (const p of [{ squash: 'All_Squash }' }, { squash: 'constructor' }, { other: 'x' }] as Record<string, string>[])
      assert.throws(() => parseParameters(p), isInvalid);
  });

  it('checks the volume context again before it reaches mount(8)', () => {
    assert.equal(mountSource({ server: '10.0.0.1', share: '/srv/x' }), '10.0.0.1:/srv/x');
    assert.equal(mountSource({ server: 'fd00::1', share: '/srv/x' }), '[fd00::1]:/srv/x');
    assert.equal(mountSource({ server: 'nfs.example.org', share: '/srv/x' }), 'nfs.example.org:/srv/x');
    for (const ctx of [
      { server: '-oexec', share: '/x' },
      { server: 'a b', share: '/x' },
      { server: '10.0.0.1', share: '/x/../y' },
      { server: '10.0.0.1' },
    ] as Record<string, string>[]) {
      assert.throws(() => mountSource(ctx), isInvalid);
    }
  });
});
