import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { BerthError, EXIT, EXIT_CODE, HTTP_STATUS } from '../../lib/errors';
import { grpcStatusOf } from '../../lib/errors/grpc-status';
import { CsiCallError } from './errors';

const every = Object.values(status).filter((s): s is status => typeof s === 'number' && s !== status.OK);

describe('csi client: a failed call is an error of the catalogue', () => {
  it('carries the code its status stands for, and answers that very status again over gRPC', () => {
    for (const s of every) {
      const e = new CsiCallError('berth.local', 'CreateVolume', s, 'refused');
      assert.ok(e instanceof BerthError);
      assert.equal(grpcStatusOf(e), s, status[s]);
      assert.equal(e.status, s);
      assert.equal(e.codeName, status[s]);
    }
  });

  it('reads as one line naming the method, the plugin, the status and the plugin’s words', () => {
    const e = new CsiCallError('berth.local', 'CreateVolume', status.RESOURCE_EXHAUSTED, 'pool ssd has 40 bytes free');
    assert.equal(e.message, 'CreateVolume on berth.local: RESOURCE_EXHAUSTED: pool ssd has 40 bytes free');
    assert.equal(e.name, 'CsiCallError');
    assert.equal(e.reason, 'pool ssd has 40 bytes free');
    assert.deepEqual(e.context, { endpoint: 'berth.local', method: 'CreateVolume', grpcStatus: status.RESOURCE_EXHAUSTED });
  });

  it('is answered by the HTTP and exit tables like any error of its code', () => {
    const notFound = new CsiCallError('berth.local', 'DeleteSnapshot', status.NOT_FOUND, 'no such snapshot');
    assert.equal(notFound.code, 'not_found');
    assert.equal(HTTP_STATUS[notFound.code], 404);
    assert.equal(EXIT_CODE[notFound.code], EXIT.notFound);
    const busy = new CsiCallError('berth.local', 'CreateVolume', status.ABORTED, 'in progress');
    assert.equal(HTTP_STATUS[busy.code], 409);
  });

  it('is worth retrying only when the plugin asked for it or the deadline passed', () => {
    const retryable = (s: status) => new CsiCallError('p', 'M', s, '').retryable;
    assert.deepEqual(
      every.filter(retryable).map((s) => status[s]),
      ['DEADLINE_EXCEEDED', 'ABORTED', 'UNAVAILABLE'],
    );
  });
});
