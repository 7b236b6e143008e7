import type { PluginReport__Output } from '../../proto/berth/generated/berth/agent/v1/PluginReport';
import type { TaskReport__Output } from '../../proto/berth/generated/berth/agent/v1/TaskReport';
import type { ClaimRecord, NodeRecord, TaskRecord, VolumeRecord } from './records';

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

/** For tests: claim `<app>/data/<instance>` of class `fast` (64 MiB), bound to volume `volumeId`. */
export function boundClaim(app: string, instance: number, volumeId: string): ClaimRecord {
  return {
    id: `${app}/data/${instance}`,
    app,
    template: 'data',
    instance,
    storageClass: 'fast',
    sizeBytes: 1 << 26,
    accessMode: 'single-node-writer',
    volumeMode: 'filesystem',
    volumeId,
    state: 'bound',
  };
}

/** For tests: a ready berth.local volume of 64 MiB on `nodeId`, bound to `claimId`, CSI id `csi-<n>` where `id` is `v<n>`. */
export function readyVolume(id: string, claimId: string, nodeId: string): VolumeRecord {
  const n = id.replace(/^v/, '');
  return {
    id,
    plugin: 'berth.local',
    csiVolumeId: `csi-${n}`,
    csiName: `vol-${n}`,
    claimId,
    nodeId,
    capacityBytes: 1 << 26,
    topology: {},
    volumeContext: {},
    state: 'ready',
    createdAt: new Date().toISOString(),
  };
}

/** A task record of app `web`, instance 0, running: override what the test is about. */
export function runningTask(overrides: Partial<TaskRecord> = {}): TaskRecord {
  return { id: 'web-0', app: 'web', instance: 0, generation: 1, state: 'running', restarts: 0, updatedAt: '', ...overrides };
}

/** An agent's report of one task with every field at its wire default (task web-0, running, generation 1). */
export function taskReport(overrides: Partial<TaskReport__Output> = {}): TaskReport__Output {
  return {
    taskId: 'web-0',
    state: 'running',
    exitCode: 0,
    message: '',
    startedAtMs: '0',
    restarts: 0,
    generation: '1',
    created: [],
    health: '',
    healthMessage: '',
    containerAddress: '',
    ...overrides,
  };
}
