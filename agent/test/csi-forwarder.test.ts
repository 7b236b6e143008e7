import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { BerthError } from '../../lib/errors';
import { grpcStatusOf } from '../../lib/errors/grpc-status';
import { forwardCsiCall } from '../csi-forwarder';
import { CsiClient } from '../../volumes/csi-client/client';

const request = (methodPath: string, plugin = 'berth.local') => ({ plugin, methodPath, request: Buffer.alloc(0), timeoutMs: 1000 });

describe('agent: forwarding CSI controller calls for the server', () => {
  // A client whose calls must never happen: every case below is refused before reaching a plugin.
  const unreachable = new CsiClient('unix:///nonexistent/berth-test.sock');
  after(() => unreachable.close());

  const refused = async (methodPath: string, code: grpc.status, pattern: RegExp, plugin?: string) => {
    await assert.rejects(
      forwardCsiCall(request(methodPath, plugin), () => unreachable),
      (e: unknown) => e instanceof BerthError && grpcStatusOf(e) === code && pattern.test(e.message),
    );
  };

  it('forwards only Identity, Controller and GroupController methods', async () => {
    await refused('/csi.v1.Node/NodePublishVolume', grpc.status.PERMISSION_DENIED, /only those are forwarded/);
    await refused('/berth.agent.v1.AgentNode/Exec', grpc.status.PERMISSION_DENIED, /not an Identity, Controller or GroupController method/);
    await refused('/csi.v1.Controller/../Node/X', grpc.status.PERMISSION_DENIED, /not an Identity/);
  });

  it('refuses a malformed or unregistered plugin name', async () => {
    await refused('/csi.v1.Controller/CreateVolume', grpc.status.INVALID_ARGUMENT, /invalid plugin name/, '../local');
    await assert.rejects(
      forwardCsiCall(request('/csi.v1.Controller/CreateVolume', 'vendor.csi'), () => undefined),
      (e: unknown) => e instanceof BerthError && grpcStatusOf(e) === grpc.status.NOT_FOUND && /not registered on this node/.test(e.message),
    );
  });

  it("passes the plugin's own status back unchanged", async () => {
    // Nothing listens on the socket: the channel's UNAVAILABLE is what a direct caller would have seen.
    await assert.rejects(
      forwardCsiCall(request('/csi.v1.Identity/Probe'), () => unreachable),
      // Its words too, without the agent's own prefix (the server's client adds the method and plugin).
      (e: unknown) => e instanceof BerthError && grpcStatusOf(e) === grpc.status.UNAVAILABLE && !e.message.includes('Probe on'),
    );
  });
});
