import assert from 'node:assert/strict';
import type { PluginReport__Output } from '../../proto/berth/generated/berth/agent/v1/PluginReport';
import { deepFreeze } from '../store/record-cache';
import { pluginTraits } from './plugin-traits';

function report(over: Partial<PluginReport__Output>): PluginReport__Output {
  return {
    name: 'p',
    endpoint: 'unix:///nowhere',
    healthy: true,
    error: '',
    topology: {},
    csiNodeId: 'n1',
    maxVolumes: '0',
    pools: [],
    pluginCapabilities: [],
    controllerCapabilities: [],
    nodeCapabilities: [],
    ...over,
  };
}

describe('pluginTraits', () => {
  it('reads each trait from its capability or the topology', () => {
    const local = pluginTraits(
      report({ topology: { 'berth.dev/node': 'n1' }, controllerCapabilities: ['CREATE_DELETE_VOLUME', 'CREATE_DELETE_SNAPSHOT', 'CLONE_VOLUME'] }),
    );
    assert.deepEqual(
      { ...local },
      { nodeLocal: true, createsVolumes: true, attachesAtController: false, snapshots: true, clones: true, expands: false, groupController: false },
    );
    const iscsi = pluginTraits(
      report({
        controllerCapabilities: ['CREATE_DELETE_VOLUME', 'PUBLISH_UNPUBLISH_VOLUME', 'EXPAND_VOLUME'],
        pluginCapabilities: ['GROUP_CONTROLLER_SERVICE'],
      }),
    );
    assert.deepEqual(
      { ...iscsi },
      { nodeLocal: false, createsVolumes: true, attachesAtController: true, snapshots: false, clones: false, expands: true, groupController: true },
    );
  });

  it('computes a frozen (stored) report once, and a mutable one afresh', () => {
    const frozen = deepFreeze(report({ controllerCapabilities: ['CREATE_DELETE_VOLUME'] }));
    assert.equal(pluginTraits(frozen), pluginTraits(frozen));
    const mutable = report({});
    assert.equal(pluginTraits(mutable).nodeLocal, false);
    mutable.topology = { 'berth.dev/node': 'n1' };
    assert.equal(pluginTraits(mutable).nodeLocal, true);
  });
});
