import { Logger } from 'pino';
import type { PluginReport } from '../proto/berth/generated/berth/agent/v1/PluginReport';
import { discoverCapabilities } from '../volumes/csi-client/capabilities';
import { CsiClient } from '../volumes/csi-client/client';
import { PluginRegistration } from './plugin-registrations';

/**
 * Keeps one CSI client per registered endpoint and turns each plugin's answers (Probe, NodeGetInfo,
 * GetCapacity per pool, capabilities) into the report the server schedules with. A plugin that does
 * not answer is reported unhealthy with the reason, so the scheduler can name it.
 */
export class PluginReporter {
  private readonly clients = new Map<string, CsiClient>();

  constructor(private readonly log: Logger) {}

  client(endpoint: string): CsiClient {
    let c = this.clients.get(endpoint);
    if (!c) {
      c = new CsiClient(endpoint, { timeoutMs: 30_000 });
      this.clients.set(endpoint, c);
    }
    return c;
  }

  async report(reg: PluginRegistration): Promise<PluginReport> {
    const c = this.client(reg.endpoint);
    const base: PluginReport = { endpoint: reg.endpoint, healthy: false, pools: [] };
    try {
      const profile = await discoverCapabilities(c);
      const probe = await c.identity('Probe', {}, { timeoutMs: 5_000 });
      const info = await c.node('NodeGetInfo', {}, { timeoutMs: 5_000 });
      const pools = [];
      if (profile.controller.has('GET_CAPACITY')) {
        for (const pool of reg.pools) {
          const cap = await c.controller('GetCapacity', { parameters: pool.parameters, accessibleTopology: info.accessibleTopology }, { timeoutMs: 5_000 });
          pools.push({ name: pool.name, availableBytes: cap.availableCapacity, parameters: pool.parameters, reportedAtMs: String(Date.now()) });
        }
      }
      return {
        ...base,
        name: profile.name,
        healthy: probe.ready?.value !== false,
        topology: info.accessibleTopology?.segments ?? {},
        csiNodeId: info.nodeId,
        maxVolumes: info.maxVolumesPerNode,
        pools,
        pluginCapabilities: [...profile.plugin],
        controllerCapabilities: [...profile.controller],
        nodeCapabilities: [...profile.node],
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.log.warn({ endpoint: reg.endpoint, err: message }, 'CSI plugin not healthy');
      return { ...base, error: message };
    }
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
