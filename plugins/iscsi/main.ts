import { createLogger } from '../../lib/logging/logger';
import { serveCsi, RunningPlugin } from '../sdk/server';
import { iscsiController } from './controller';
import { IscsiDriver } from './driver';
import { IscsiDriverOptions } from './driver-config';
import { iscsiIdentity } from './identity';
import { iscsiNode } from './node';

export interface IscsiPluginOptions extends Omit<IscsiDriverOptions, 'log'> {
  socket: string;
  handleSignals?: boolean;
}

/** Starts the iSCSI CSI driver: recovers its state, makes tgtd match it, then serves the services its mode asks for. */
export async function startIscsiPlugin(options: IscsiPluginOptions): Promise<RunningPlugin> {
  const log = createLogger('berth.iscsi').child({ node: options.nodeId });
  const driver = await IscsiDriver.open({ ...options, log });
  return serveCsi(
    {
      identity: iscsiIdentity(driver),
      controller: driver.controllerState ? iscsiController(driver) : undefined,
      node: driver.nodeState ? iscsiNode(driver) : undefined,
    },
    { socket: options.socket, log, handleSignals: options.handleSignals, onShutdown: () => driver.close() },
  );
}
