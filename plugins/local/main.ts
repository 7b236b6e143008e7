import { createLogger } from '../../lib/logging/logger';
import { serveCsi, RunningPlugin } from '../sdk/server';
import { localController } from './controller';
import { LocalDriver } from './driver';
import { LocalDriverOptions } from './driver-config';
import { localIdentity } from './identity';
import { localNode } from './node';

export interface LocalPluginOptions extends Omit<LocalDriverOptions, 'log'> {
  socket: string;
  handleSignals?: boolean;
}

/** Starts the local CSI driver: opens (and recovers) its pools and state, then serves all three services. */
export async function startLocalPlugin(options: LocalPluginOptions): Promise<RunningPlugin> {
  const log = createLogger('berth.local').child({ node: options.nodeId });
  const driver = await LocalDriver.open({ ...options, log });
  return serveCsi(
    { identity: localIdentity(driver), controller: localController(driver), node: localNode(driver) },
    { socket: options.socket, log, handleSignals: options.handleSignals },
  );
}
