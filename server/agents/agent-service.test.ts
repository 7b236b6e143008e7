import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { bearerMetadata } from '../../proto/berth/agent-auth';
import { loadAgentProto } from '../../proto/berth/load';
import { serveAgentControl } from './agent-service';
import { NodeCredentials } from './node-credentials';

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

  it("joins a node only with the join token, and hands a Sync to the server only with that node's secret", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-agent-auth-'));
    const handled: string[] = [];
    const server = await serveAgentControl(
      '127.0.0.1:0',
      async (req) => {
        handled.push(req.nodeId);
        return { tasks: [], fingerprint: 'f', syncIntervalMs: 1000 };
      },
      { joinToken: 'the-join-token', nodes: new NodeCredentials(join(dir, 'node-credentials.json')) },
      pino({ level: 'silent' }),
    );
    const client = new (loadAgentProto().berth.agent.v1.AgentControl)(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    const join1 = (token: string, nodeId = 'n1', nodeServiceSecret = 'x'.repeat(43)) =>
      new Promise<{ code: grpc.status; secret?: string }>((resolve) =>
        client.Join({ nodeId, nodeServiceSecret }, bearerMetadata(token), (err, res) =>
          resolve({ code: err ? err.code : grpc.status.OK, secret: res?.nodeSecret }),
        ),
      );
    const sync = (nodeId: string, secret?: string) =>
      new Promise<grpc.status>((resolve) => client.Sync({ nodeId }, bearerMetadata(secret), (err) => resolve(err ? err.code : grpc.status.OK)));
    try {
      assert.equal((await join1('')).code, grpc.status.UNAUTHENTICATED);
      assert.equal((await join1('wrong')).code, grpc.status.UNAUTHENTICATED);
      assert.equal(await sync('n1', 'anything'), grpc.status.UNAUTHENTICATED, 'a node that has not joined');
      const joined = await join1('the-join-token');
      assert.equal(joined.code, grpc.status.OK);
      assert.equal((await join1('the-join-token', 'n1', 'y'.repeat(43))).code, grpc.status.PERMISSION_DENIED, 'another agent as n1');
      assert.equal(await sync('n1'), grpc.status.UNAUTHENTICATED);
      assert.equal(await sync('n1', 'wrong'), grpc.status.UNAUTHENTICATED);
      assert.equal(await sync('n1', 'the-join-token'), grpc.status.UNAUTHENTICATED, 'the join token is no node secret');
      assert.deepEqual(handled, [], 'nothing refused reached the server');
      assert.equal(await sync('n1', joined.secret), grpc.status.OK);
      assert.deepEqual(handled, ['n1']);
    } finally {
      client.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("answers Endpoints only with the node's secret, and says so when the server serves none", async () => {
    const asked: string[] = [];
    const auth = {
      joinToken: 'join',
      nodes: { join: async () => 'secret', verify: (id: string, secret: string) => (id === 'n1' ? secret === 'secret' : undefined) },
    };
    const log = pino({ level: 'silent' });
    const server = await serveAgentControl(
      '127.0.0.1:0',
      async () => ({ tasks: [], fingerprint: '', syncIntervalMs: 1000 }),
      auth,
      log,
      async (req) => {
        asked.push(req.nodeId);
        return {
          endpoints: [{ app: 'web', instance: 0, taskId: 'web-0', nodeId: 'n1', address: '10.0.0.5', ports: [{ name: 'http', port: 20001 }], ready: true }],
          fingerprint: 'f1',
        };
      },
    );
    const bare = await serveAgentControl('127.0.0.1:0', async () => ({ tasks: [], fingerprint: '', syncIntervalMs: 1000 }), auth, log);
    const Ctl = loadAgentProto().berth.agent.v1.AgentControl;
    const client = new Ctl(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    const older = new Ctl(`127.0.0.1:${bare.port}`, grpc.credentials.createInsecure());
    const call = (c: InstanceType<typeof Ctl>, nodeId: string, secret: string) =>
      new Promise<{ code: grpc.status; ports?: number[] }>((resolve) =>
        c.Endpoints({ nodeId }, bearerMetadata(secret), (err, res) =>
          resolve({ code: err ? err.code : grpc.status.OK, ports: res?.endpoints.flatMap((e) => e.ports.map((p) => p.port)) }),
        ),
      );
    try {
      assert.equal((await call(client, 'n1', 'wrong')).code, grpc.status.UNAUTHENTICATED);
      assert.equal((await call(client, 'n2', 'secret')).code, grpc.status.UNAUTHENTICATED, 'a node that has not joined');
      assert.deepEqual(asked, []);
      assert.deepEqual(await call(client, 'n1', 'secret'), { code: grpc.status.OK, ports: [20001] });
      assert.equal((await call(older, 'n1', 'secret')).code, grpc.status.UNIMPLEMENTED);
    } finally {
      client.close();
      older.close();
      await server.stop();
      await bare.stop();
    }
  });
});
