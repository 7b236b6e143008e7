import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { loadAgentProto } from '../../proto/berth/load';
import type { DataMoverProgress } from '../../proto/berth/generated/berth/agent/v1/DataMoverProgress';
import type { BackupVolumeRequest__Output } from '../../proto/berth/generated/berth/agent/v1/BackupVolumeRequest';
import { callMover, DataMoverError } from './data-mover-link';
import type { NodeRecord } from '../store/records';

/**
 * The server's side of a data-mover call against a gRPC endpoint speaking the agent protocol whose
 * BackupVolume either goes silent (a node that lost power) or keeps talking through a long step.
 */
describe('server: data-mover calls to an agent', () => {
  let server: grpc.Server;
  let node: NodeRecord;
  const progress = (done = false): DataMoverProgress => ({ bytesDone: '1', bytesTotal: '2', filesDone: '0', done, resultJson: done ? '{"ok":true}' : '' });

  before(async () => {
    server = new grpc.Server();
    server.addService(loadAgentProto().berth.agent.v1.AgentNode.service, {
      BackupVolume: (call: grpc.ServerWritableStream<BackupVolumeRequest__Output, DataMoverProgress>) => {
        call.write(progress());
        if (call.request.operationId === 'silent') return; // never another word
        // Talks every 100 ms through a 600 ms step, then answers.
        const timer = setInterval(() => call.write(progress()), 100);
        setTimeout(() => { clearInterval(timer); call.write(progress(true)); call.end(); }, 600);
      },
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    node = { id: 'n1', address: `127.0.0.1:${port}` } as NodeRecord;
  });

  after(() => server.forceShutdown());

  it('gives up on a call its agent stopped answering, as UNAVAILABLE naming the node', async () => {
    const started = Date.now();
    await assert.rejects(callMover(node, 'BackupVolume', { operationId: 'silent' }, () => undefined, undefined, undefined, 300),
      (e: unknown) => e instanceof DataMoverError && e.code === grpc.status.UNAVAILABLE && /node n1: no word from its agent/.test(e.message));
    assert.ok(Date.now() - started < 5_000);
  });

  it('keeps a call whose agent keeps talking, however long the step', async () => {
    const result = await callMover<{ ok: boolean }>(node, 'BackupVolume', { operationId: 'talking' }, () => undefined, undefined, undefined, 300);
    assert.deepEqual(result, { ok: true });
  });
});
