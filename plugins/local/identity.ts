import { encodeSnapshotDirs, SNAPSHOT_DIRS_KEY } from '../../lib/berth-local/fast-path';
import { AsyncService } from '../sdk/handler';
import type { IdentityHandlers } from '../../proto/csi/generated/csi/v1/Identity';
import { LocalDriver } from './driver';
import { DRIVER_NAME, DRIVER_VERSION } from './driver-config';

export function localIdentity(driver: LocalDriver): AsyncService<IdentityHandlers> {
  return {
    async GetPluginInfo() {
      // Where snapshots lie (one directory per pool): Berth's data mover reads them in place (its fast path).
      const snapshotDirs = [...driver.pools.values()].map((pool) => pool.snapshotsDir);
      return { name: DRIVER_NAME, vendorVersion: DRIVER_VERSION, manifest: { node: driver.nodeId, [SNAPSHOT_DIRS_KEY]: encodeSnapshotDirs(snapshotDirs) } };
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
