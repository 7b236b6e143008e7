import { AsyncService } from '../sdk/handler';
import type { IdentityHandlers } from '../../proto/csi/generated/csi/v1/Identity';
import { NfsDriver } from './driver';
import { DRIVER_NAME, DRIVER_VERSION } from './driver-config';

export function nfsIdentity(driver: NfsDriver): AsyncService<IdentityHandlers> {
  return {
    async GetPluginInfo() {
      return { name: DRIVER_NAME, vendorVersion: DRIVER_VERSION, manifest: { node: driver.nodeId } };
    },
    async GetPluginCapabilities() {
      // No VOLUME_ACCESSIBILITY_CONSTRAINTS: an export is reachable from every node the CO may pick.
      return {
        capabilities: [
          ...(driver.hasController ? [{ service: { type: 'CONTROLLER_SERVICE' as const } }] : []),
          { volumeExpansion: { type: 'ONLINE' as const } },
        ],
      };
    },
    async Probe() {
      // The export root must take a write; ganesha must be running for exports to be served.
      if (driver.hasController) {
        await driver.controller.root.probe();
        if (driver.controller.ganesha.pid() === undefined) return { ready: { value: false } };
      }
      return { ready: { value: true } };
    },
  };
}
