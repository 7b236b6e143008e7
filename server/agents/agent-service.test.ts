import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { bearerMetadata } from '../../proto/berth/agent-auth';
import { loadAgentProto } from '../../proto/berth/load';
import { serveAgentControl } from './agent-service';

describe('server: agent control endpoint', () => {
  it('tells the handler when the agent cancels a long poll, so it stops waiting', async () => {
    let seen: AbortSignal | undefined;
    let onAbort!: () => void;
    const aborted = new Promise<void>((resolve) => {
      onAbort = resolve;
    });
    const server = await serveAgentControl(
      '127.0.0.1:0',
      (_req, cancelled) => {
        seen = cancelled;
        cancelled.addEventListener('abort', onAbort);
        return new Promise(() => undefined); // a long poll that nothing changes
      },
      { joinToken: 'join', nodes: { join: async () => 'secret', verify: (_id, secret) => secret === 'secret' } },
      pino({ level: 'silent' }),
    );
    const Ctl = loadAgentProto().berth.agent.v1.AgentControl;
    const client = new Ctl(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    try {
      const call = client.Sync({ nodeId: 'n1', waitMs: 3000 }, bearerMetadata('secret'), () => undefined);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(seen?.aborted, false, 'the handler waits while the agent listens');
      call.cancel();
      await Promise.race([aborted, new Promise((_, reject) => setTimeout(() => reject(new Error('the handler never learned of the cancel')), 2000))]);
      assert.equal(seen?.aborted, true);
    } finally {
      client.close();
      await server.stop();
    }
  });
});
