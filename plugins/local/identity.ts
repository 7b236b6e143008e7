import { AsyncService } from '../sdk/handler';
import type { IdentityHandlers } from '../../proto/csi/generated/csi/v1/Identity';
import { LocalDriver } from './driver';
import { DRIVER_NAME, DRIVER_VERSION } from './driver-config';

export function localIdentity(driver: LocalDriver): AsyncService<IdentityHandlers> {
  return {
    async GetPluginInfo() {
      return { name: DRIVER_NAME, vendorVersion: DRIVER_VERSION, manifest: { node: driver.nodeId } };
    },
    async GetPluginCapabilities() {
      return {
        capabilities: [
          { service: { type: 'CONTROLLER_SERVICE' } },
          { service: { type: 'VOLUME_ACCESSIBILITY_CONSTRAINTS' } },
          { volumeExpansion: { type: 'ONLINE' } },
        ],
      };
    },
    async Probe() {
      // Ready means every pool is mounted and takes a write; a failing pool makes Probe fail (not "not ready")
      // so the CO sees the cause.
      for (const pool of driver.pools.values()) await pool.probe();
      return { ready: { value: true } };
    },
  };
}
