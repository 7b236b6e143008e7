import { createLogger } from '../../lib/logging/logger';
import { serveCsi, RunningPlugin } from '../sdk/server';
import { nfsController } from './controller';
import { NfsDriver } from './driver';
import { NfsDriverOptions } from './driver-config';
import { nfsIdentity } from './identity';
import { nfsNode } from './node';

export interface NfsPluginOptions extends Omit<NfsDriverOptions, 'log'> {
  socket: string;
  handleSignals?: boolean;
}

/**
 * Starts the NFS CSI driver. With an export root it serves the controller too (on the NFS server host):
 * it recovers interrupted operations and writes ganesha's config before serving. The node service
 * always runs.
 */
export async function startNfsPlugin(options: NfsPluginOptions): Promise<RunningPlugin> {
  const log = createLogger('berth.nfs').child({ node: options.nodeId });
  const driver = await NfsDriver.open({ ...options, log });
  return serveCsi(
    { identity: nfsIdentity(driver), controller: driver.hasController ? nfsController(driver) : undefined, node: nfsNode(driver) },
    { socket: options.socket, log, handleSignals: options.handleSignals },
  );
}
