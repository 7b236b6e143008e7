import type { PluginReport__Output } from '../../proto/berth/generated/berth/agent/v1/PluginReport';
import type { NodeRecord } from './records';

/** For tests: a plugin as an agent reports it, healthy, with what `overrides` changes. */
export function pluginReport(name: string, overrides: Partial<PluginReport__Output> = {}): PluginReport__Output {
  return {
    name,
    endpoint: '',
    healthy: true,
    error: '',
    topology: {},
    csiNodeId: '',
    maxVolumes: '0',
    pools: [],
    pluginCapabilities: [],
    controllerCapabilities: [],
    nodeCapabilities: [],
    ...overrides,
  };
}

/** For tests: a ready node record (2 cores, 1 GiB, process runtime) heard from just now, with these plugins. */
export function readyNode(id: string, plugins: PluginReport__Output[] = [], overrides: Partial<NodeRecord> = {}): NodeRecord {
  return {
    id,
    address: '127.0.0.1:1',
    labels: {},
    cpuCores: 2,
    memoryBytes: 1 << 30,
    runtime: 'process',
    plugins,
    lastSyncMs: Date.now(),
    reportedAtMs: Date.now(),
    state: 'ready',
    ...overrides,
  };
}
