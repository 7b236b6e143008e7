import type { PluginReport } from '../../proto/berth/generated/berth/agent/v1/PluginReport';
import { DRIVER_NAME, TOPOLOGY_NODE_KEY } from '../../plugins/local/driver-config';
import { STAGING_NODE_CAPABILITIES, VOLUME_CONTROLLER_CAPABILITIES } from '../../plugins/sdk/service-capabilities';
import { decodeCreateVolumeRequest, encodeCreateVolumeResponse } from '../../volumes/csi-client/create-volume-codec';

/** Berth's node-local plugin, whose report this fakes. */
export const LOCAL_PLUGIN = DRIVER_NAME;
export const POOL = 'default';

/** What a fake volume creation answers: the serialized CreateVolumeResponse, and the bytes it took from the pool. */
export interface FakeCreated {
  csiName: string;
  response: Buffer;
  bytes: number;
}

/**
 * A node's berth.local plugin as its agent would report it, without a plugin process: the same
 * capabilities as plugins/local (node-local, CREATE_DELETE_VOLUME, no ControllerPublish, so the server
 * hands CreateVolume to the agent), one pool whose free bytes shrink with every volume "created".
 */
export class FakeLocalPlugin {
  private usedBytes = 0;
  private cached: { at: number; report: PluginReport } | undefined;

  constructor(
    private readonly nodeId: string,
    private readonly capacityBytes: number,
  ) {}

  /** Refreshed at most every `maxAgeMs`, like the real agent's (agent/agent.ts PLUGIN_REPORT_MS). */
  report(maxAgeMs: number): PluginReport {
    const now = Date.now();
    if (this.cached && now - this.cached.at < maxAgeMs) return this.cached.report;
    const report: PluginReport = {
      name: LOCAL_PLUGIN,
      endpoint: `unix:///run/berth/sim/${this.nodeId}/local.sock`,
      healthy: true,
      topology: { [TOPOLOGY_NODE_KEY]: this.nodeId },
      csiNodeId: this.nodeId,
      maxVolumes: '0',
      pools: [{ name: POOL, availableBytes: String(this.capacityBytes - this.usedBytes), parameters: { pool: POOL }, reportedAtMs: String(now) }],
      pluginCapabilities: ['CONTROLLER_SERVICE', 'VOLUME_ACCESSIBILITY_CONSTRAINTS'],
      controllerCapabilities: [...VOLUME_CONTROLLER_CAPABILITIES],
      nodeCapabilities: [...STAGING_NODE_CAPABILITIES],
    };
    this.cached = { at: now, report };
    return report;
  }

  /** Answers the server's CreateVolumeRequest (VolumeAttachment.create_request) as plugins/local would. */
  createVolume(request: Buffer): FakeCreated {
    const req = decodeCreateVolumeRequest(request);
    const bytes = Math.ceil(Number(req.capacityRange?.requiredBytes ?? 0) / 4096) * 4096;
    this.usedBytes += bytes;
    const response = encodeCreateVolumeResponse({
      volume: {
        volumeId: `sim-${req.name}`,
        capacityBytes: String(bytes),
        volumeContext: { pool: req.parameters.pool ?? POOL, accessType: 'mount' },
        accessibleTopology: [{ segments: { [TOPOLOGY_NODE_KEY]: this.nodeId } }],
      },
    });
    return { csiName: req.name, response, bytes };
  }
}
