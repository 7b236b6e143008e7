import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { loadAgentProto } from '../../proto/berth/load';
import type { AgentNodeHandlers } from '../../proto/berth/generated/berth/agent/v1/AgentNode';
import type { DataMoverProgress } from '../../proto/berth/generated/berth/agent/v1/DataMoverProgress';
import type { DataMoverResult } from '../../proto/berth/generated/berth/agent/v1/DataMoverResult';
import { bearerMatches } from '../../proto/berth/agent-auth';
import { CsiCallError } from '../../volumes/csi-client/errors';
import { AgentCallError } from './agent-call-error';
import { NodeLinks } from './node-links';
import type { NodeLink } from './node-link';

const TOKEN = 'link-test-token';
const backupResult: DataMoverResult = {
  backup: {
    entry: { name: 'data', kind: 'files', tree: 'ab12', size: 2, bytesRead: 2, bytesNew: 2, chunksNew: 1, chunksReused: 0, files: 1 },
    changeMarker: '7',
    path: 'fast',
    changeDetection: 'full',
  },
};

/**
 * The server's link to an agent, against a gRPC endpoint speaking the agent protocol: its
 * BackupVolume either goes silent (a node that lost power), keeps talking through a long step, or
 * answers a result that does not parse; its other calls check the token and answer or fail.
 */
describe("server: the link to a node's agent", () => {
  let server: grpc.Server;
  let port: number;
  let links: NodeLinks;
  let link: NodeLink;
  const progress = (done = false, result: DataMoverResult | null = null): DataMoverProgress => ({
    bytesDone: '1',
    bytesTotal: '2',
    filesDone: '0',
    done,
    result: done ? result : null,
  });

  before(async () => {
    server = new grpc.Server();
    const handlers: AgentNodeHandlers = {
      BackupVolume: (call) => {
        call.write(progress());
        if (call.request.operationId === 'silent') return; // never another word
        if (call.request.operationId === 'garbled') {
          call.write(progress(true, { backup: { ...backupResult.backup, path: 'sideways' } }));
          call.end();
          return;
        }
        // Talks every 100 ms through a 2.5 s step (over twice the caller's 1 s silence limit), then answers.
        const timer = setInterval(() => call.write(progress()), 100);
        setTimeout(() => {
          clearInterval(timer);
          call.write(progress(true, backupResult));
          call.end();
        }, 2_500);
      },
      RestoreVolume: (call) => {
        call.emit('error', { code: grpc.status.DATA_LOSS, details: 'pack 1f is damaged' });
      },
      Logs: (call, callback) => {
        if (!bearerMatches(TOKEN, call.metadata)) callback({ code: grpc.status.UNAUTHENTICATED, details: 'missing or wrong token' });
        else if (call.request.taskId === 'gone-0') callback({ code: grpc.status.NOT_FOUND, details: 'no such task' });
        else callback(null, { logs: `tail ${call.request.tail} of ${call.request.taskId}` });
      },
      Exec: (call, callback) => {
        if (call.request.taskId === 'stopped-0') callback({ code: grpc.status.FAILED_PRECONDITION, details: 'task is not running' });
        else callback(null, { exitCode: 3, output: call.request.command.join(' ') });
      },
      CsiCall: (call, callback) => callback({ code: grpc.status.NOT_FOUND, details: `volume of ${call.request.plugin} not found` }),
      FollowTaskLogs: (call) => call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'not in this test' }),
      ExecSession: (call) => call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'not in this test' }),
    };
    server.addService(loadAgentProto().berth.agent.v1.AgentNode.service, handlers);
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    links = new NodeLinks(() => TOKEN);
    link = links.get({ id: 'n1', address: `127.0.0.1:${port}` });
  });

  after(() => {
    links.close();
    server.forceShutdown();
  });

  it('gives up on a call its agent stopped answering, as UNAVAILABLE naming the node', async () => {
    const started = Date.now();
    await assert.rejects(
      link.backupVolume({ operationId: 'silent' }, () => undefined, undefined, 300),
      (e: unknown) =>
        e instanceof AgentCallError && e.status === grpc.status.UNAVAILABLE && e.code === 'unavailable' && /node n1: no word from its agent/.test(e.message),
    );
    assert.ok(Date.now() - started < 5_000);
  });

  it('keeps a call whose agent keeps talking, however long the step', async () => {
    const seen: number[] = [];
    const result = await link.backupVolume({ operationId: 'talking' }, (p) => seen.push(p.bytesDone), undefined, 1_000);
    assert.deepEqual(result, {
      entry: { name: 'data', kind: 'files', tree: 'ab12', size: 2, stats: { bytesRead: 2, bytesNew: 2, chunksNew: 1, chunksReused: 0, files: 1 } },
      changeMarker: '7',
      path: 'fast',
      changeDetection: 'full',
    });
    assert.ok(seen.length >= 3 && seen.every((b) => b === 1));
  });

  it("refuses a result it cannot read, and passes the agent's status on with its code", async () => {
    await assert.rejects(
      link.backupVolume({ operationId: 'garbled' }, () => undefined),
      (e: unknown) =>
        e instanceof AgentCallError && e.code === 'internal' && /BackupVolume on node n1 answered an unreadable result: path "sideways"/.test(e.message),
    );
    await assert.rejects(
      link.restoreVolume({ operationId: 'r1' }, () => undefined),
      (e: unknown) =>
        e instanceof AgentCallError &&
        e.status === grpc.status.DATA_LOSS &&
        e.code === 'repository_corrupt' &&
        e.message === 'RestoreVolume on node n1: pack 1f is damaged',
    );
  });

  it('sends the token, and answers failures as errors of the catalogue', async () => {
    assert.equal(await link.logs('web-0', 5), 'tail 5 of web-0');
    await assert.rejects(link.logs('gone-0'), (e: unknown) => e instanceof AgentCallError && e.code === 'not_found' && e.reason === 'no such task');
    const other = new NodeLinks(() => 'wrong');
    try {
      await assert.rejects(
        other.get({ id: 'n1', address: `127.0.0.1:${port}` }).logs('web-0'),
        (e: unknown) => e instanceof AgentCallError && e.code === 'unauthenticated',
      );
    } finally {
      other.close();
    }
    assert.deepEqual(await link.exec('web-0', ['echo', 'hi'], 1000), { exitCode: 3, output: 'echo hi' });
    await assert.rejects(
      link.exec('stopped-0', ['true'], 1000),
      (e: unknown) =>
        e instanceof AgentCallError && e.code === 'failed_precondition' && e.message === 'cannot run ["true"] in stopped-0 on node n1: task is not running',
    );
  });

  it("forwards CSI calls failing as the CSI client's own errors", async () => {
    await assert.rejects(
      link.csiClient('berth.local').controller('DeleteVolume', { volumeId: 'v1', secrets: {} }),
      (e: unknown) => e instanceof CsiCallError && e.status === grpc.status.NOT_FOUND && e.endpoint === 'berth.local on node n1',
    );
  });

  it('keeps one link per node, replaced when its address changes; none without an address', () => {
    assert.equal(links.get({ id: 'n1', address: `127.0.0.1:${port}` }), link);
    assert.equal(link.csiClient('berth.local'), link.csiClient('berth.local'));
    const moved = links.get({ id: 'n1', address: `localhost:${port}` });
    assert.notEqual(moved, link);
    assert.equal(moved.address, `localhost:${port}`);
    assert.throws(
      () => links.get({ id: 'n2', address: '' }),
      (e: unknown) => e instanceof AgentCallError && e.code === 'unavailable' && e.message === 'node n2 has no agent address',
    );
    link = links.get({ id: 'n1', address: `127.0.0.1:${port}` });
  });
});
