import { AsyncService } from '../sdk/handler';
import type { IdentityHandlers } from '../../proto/csi/generated/csi/v1/Identity';
import { IscsiDriver } from './driver';
import { DRIVER_NAME, DRIVER_VERSION } from './driver-config';

export function iscsiIdentity(driver: IscsiDriver): AsyncService<IdentityHandlers> {
  return {
    async GetPluginInfo() {
      return { name: DRIVER_NAME, vendorVersion: DRIVER_VERSION, manifest: { node: driver.nodeId, attach: driver.attachMode } };
    },
    async GetPluginCapabilities() {
      return {
        capabilities: [
          ...(driver.controllerState ? [{ service: { type: 'CONTROLLER_SERVICE' as const } }] : []),
          // OFFLINE: the user-space initiator cannot see a LUN grow while attached (see ControllerExpandVolume).
          { volumeExpansion: { type: 'OFFLINE' as const } },
        ],
      };
    },
    async Probe() {
      // Not ready while tgtd is unreachable (the reconcile loop retries); a broken pool fails the probe outright.
      for (const pool of driver.pools.values()) pool.probe();
      if (driver.controllerState && driver.tgtError) {
        await driver.reconcileTargets();
        if (driver.tgtError) return { ready: { value: false } };
      }
      return { ready: { value: true } };
    },
  };
}
