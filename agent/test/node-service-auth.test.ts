import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { bearerMetadata } from '../../proto/berth/agent-auth';
import { loadAgentProto } from '../../proto/berth/load';
import type { AgentNodeClient } from '../../proto/berth/generated/berth/agent/v1/AgentNode';
import type { Executor } from '../executors/executor';
import { serveAgentNode } from '../node-service';

const SECRET = 'node-service-secret-of-this-test-0123456789';

/** The agent's node service answers the server alone: a call without its node-service secret runs nothing. */
describe("agent: the node service takes only the server's secret", () => {
  let ran: string[];
  let service: { port: number; stop(): void };
  let client: AgentNodeClient;
  before(async () => {
    ran = [];
    const executor = {
      kind: 'process',
      exec: async (taskId: string, command: string[]) => {
        ran.push(`${taskId}: ${command.join(' ')}`);
        return { exitCode: 0, output: 'ok' };
      },
      logs: async () => 'log',
    } as unknown as Executor;
    service = await serveAgentNode('127.0.0.1:0', executor, pino({ level: 'silent' }), SECRET, {
      csiClientFor: () => {
        ran.push('csi');
        return undefined;
      },
      stateDir: '/nonexistent',
    });
    client = new (loadAgentProto().berth.agent.v1.AgentNode)(`127.0.0.1:${service.port}`, grpc.credentials.createInsecure());
  });
  after(() => {
    client.close();
    service.stop();
  });

  const exec = (md: grpc.Metadata) =>
    new Promise<grpc.status>((resolve) => client.Exec({ taskId: 'web-0', command: ['id'] }, md, (err) => resolve(err ? err.code : grpc.status.OK)));
  const csi = (md: grpc.Metadata) =>
    new Promise<grpc.status>((resolve) =>
      client.CsiCall({ plugin: 'berth.local', methodPath: '/csi.v1.Controller/ListVolumes', request: Buffer.alloc(0) }, md, (err) =>
        resolve(err ? err.code : grpc.status.OK),
      ),
    );
  const stream = (md: grpc.Metadata) =>
    new Promise<grpc.status>((resolve) => {
      const call = client.BackupVolume({ operationId: 'b1' }, md);
      call.on('data', () => undefined);
      call.on('error', (e: grpc.ServiceError) => resolve(e.code));
      call.on('end', () => resolve(grpc.status.OK));
    });

  it('refuses Exec, CsiCall and the data mover without the secret or with another, and runs nothing', async () => {
    for (const md of [new grpc.Metadata(), bearerMetadata('wrong'), bearerMetadata(`${SECRET}x`)]) {
      assert.equal(await exec(md), grpc.status.UNAUTHENTICATED);
      assert.equal(await csi(md), grpc.status.UNAUTHENTICATED);
      assert.equal(await stream(md), grpc.status.UNAUTHENTICATED);
    }
    assert.deepEqual(ran, []);
  });

  it("serves the server's calls", async () => {
    assert.equal(await exec(bearerMetadata(SECRET)), grpc.status.OK);
    assert.deepEqual(ran, ['web-0: id']);
  });
});
