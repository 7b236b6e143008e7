import * as grpc from '@grpc/grpc-js';
import { existsSync, lstatSync, chmodSync, unlinkSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { loadCsi } from '../../proto/csi/load';
import type { IdentityHandlers } from '../../proto/csi/generated/csi/v1/Identity';
import type { ControllerHandlers } from '../../proto/csi/generated/csi/v1/Controller';
import type { NodeHandlers } from '../../proto/csi/generated/csi/v1/Node';
import type { GroupControllerHandlers } from '../../proto/csi/generated/csi/v1/GroupController';
import { AsyncService, implement } from './handler';
import { Logger } from '../../lib/logging/logger';

export interface CsiPluginServices {
  identity: AsyncService<IdentityHandlers>;
  controller?: AsyncService<ControllerHandlers>;
  node?: AsyncService<NodeHandlers>;
  groupController?: AsyncService<GroupControllerHandlers>;
}

export interface ServeOptions {
  /** Filesystem path of the unix socket (a `unix://` prefix is accepted). */
  socket: string;
  log: Logger;
  /** Called once on SIGTERM/SIGINT after the server stopped taking calls. */
  onShutdown?: () => Promise<void> | void;
  /** Install SIGTERM/SIGINT handlers (default true); tests that embed a server turn this off. */
  handleSignals?: boolean;
}

export interface RunningPlugin {
  socket: string;
  stop(): Promise<void>;
}

export function socketPath(endpoint: string): string {
  return endpoint.replace(/^unix:\/\//, '').replace(/^unix:/, '');
}

/** True when something accepts connections on the socket: then it is not stale and must not be removed. */
function socketIsLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Serves a CSI plugin on a unix socket readable and writable by its owner only (0600). A stale socket
 * left by a crashed run is removed; a live one is an error (two plugins on one socket would both answer).
 */
export async function serveCsi(services: CsiPluginServices, options: ServeOptions): Promise<RunningPlugin> {
  const path = socketPath(options.socket);
  const log = options.log;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (existsSync(path)) {
    if (!lstatSync(path).isSocket()) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
    if (await socketIsLive(path)) throw new Error(`another process is already serving on ${path}`);
    unlinkSync(path);
  }
  const csi = loadCsi().csi.v1;
  const server = new grpc.Server();
  server.addService(csi.Identity.service, implement('Identity', csi.Identity.service, services.identity, log));
  if (services.controller) server.addService(csi.Controller.service, implement('Controller', csi.Controller.service, services.controller, log));
  if (services.node) server.addService(csi.Node.service, implement('Node', csi.Node.service, services.node, log));
  if (services.groupController) {
    server.addService(csi.GroupController.service, implement('GroupController', csi.GroupController.service, services.groupController, log));
  }
  // The umask closes the window between bind() and chmod() in which the socket would be world-accessible.
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(`unix://${path}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve()));
    });
  } finally {
    process.umask(oldMask);
  }
  chmodSync(path, 0o600);
  log.info({ socket: path }, 'CSI plugin listening');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 5000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      if (existsSync(path)) unlinkSync(path);
      await options.onShutdown?.();
      log.info({ socket: path }, 'CSI plugin stopped');
    })();
    return stopping;
  };
  if (options.handleSignals !== false) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        log.info({ signal }, 'shutting down');
        stop().then(
          () => process.exit(0),
          (err: unknown) => {
            log.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      });
    }
  }
  return { socket: path, stop };
}
