import assert from 'node:assert/strict';
import pino from 'pino';
import { BackupNotFoundError, CorruptObjectError, RepositoryLockedError, WrongPassphraseError } from '../../backup/repository';
import { InsufficientCapacityError } from '../../core/domain';
import { ManifestError } from '../../core/manifests';
import { dependencyFailed, notFound } from '../../lib/errors';
import { repositoryProblem } from '../data-protection/repositories';
import { errorReply } from './error-reply';
import type { ClusterService } from './cluster-service';
import { badRequest, conflict, unauthorized, unavailable } from './http-errors';
import { type ApiServices, startHttpApi } from './http-server';

describe('server: errors as HTTP answers', () => {
  it('answers the status of the code, with the code in the body', () => {
    const cases: [unknown, number, string][] = [
      [badRequest('x'), 400, 'invalid_argument'],
      [unauthorized('x'), 401, 'unauthenticated'],
      [notFound('x'), 404, 'not_found'],
      [conflict('x'), 409, 'conflict'],
      [dependencyFailed('x'), 424, 'dependency_failed'],
      [unavailable('x'), 503, 'unavailable'],
      [repositoryProblem(new WrongPassphraseError('/r'), '/r'), 400, 'wrong_passphrase'],
      [new BackupNotFoundError('20240101T000000Z-deadbeef'), 404, 'not_found'],
      [new RepositoryLockedError('shared', ['prune']), 409, 'repository_locked'],
      [new CorruptObjectError('config', 'authentication failed'), 500, 'repository_corrupt'],
      [new InsufficientCapacityError('n1', ['memory']), 429, 'resource_exhausted'],
    ];
    for (const [error, status, code] of cases) {
      const r = errorReply(error);
      assert.equal(r.status, status, code);
      assert.equal(r.body.code, code);
      assert.equal(r.body.message, (error as Error).message);
    }
  });

  it('keeps field errors, fastify refusals and the 500 of the unexpected as they were', () => {
    const invalid = errorReply(new ManifestError([{ documentIndex: 0, object: 'App/a', path: 'spec.instances', message: 'expected a whole number', line: 3 }]));
    assert.equal(invalid.status, 400);
    assert.deepEqual(invalid.body.errors, [{ path: 'App/a spec.instances (line 3)', message: 'expected a whole number' }]);
    assert.deepEqual(errorReply(Object.assign(new Error('body/x must be integer'), { validation: [{}], statusCode: 400 })), {
      status: 400,
      body: { message: 'body/x must be integer', code: 'invalid_argument' },
      log: false,
    });
    assert.deepEqual(errorReply(Object.assign(new Error('too large'), { statusCode: 413 })), {
      status: 413,
      // fastify's words replaced by the bound; a request too large is invalid input (exit 2).
      body: { message: 'request body larger than 4 MB (a manifest may be at most 2 MB)', code: 'invalid_argument' },
      log: false,
    });
    assert.deepEqual(errorReply(new TypeError('x is undefined')), {
      status: 500,
      body: { message: 'internal error: x is undefined', code: 'internal' },
      log: true,
    });
  });

  it('sends { message, code, errors } from a real listener', async () => {
    const service = {
      getApp: async (name: string) => {
        throw notFound(`app ${name} not found`);
      },
      apply: async () => {
        throw badRequest('invalid manifest: 1 problem(s); nothing was applied', [{ path: 'App/a spec', message: 'no' }]);
      },
    } as unknown as ClusterService;
    const { app, url } = await startHttpApi({ cluster: service } as unknown as ApiServices, {
      listen: '127.0.0.1:0',
      tokens: ['t'],
      log: pino({ level: 'silent' }),
    });
    const auth = { authorization: 'Bearer t' };
    try {
      const missing = await fetch(`${url}/v1/apps/nope`, { headers: auth });
      assert.equal(missing.status, 404);
      assert.deepEqual(await missing.json(), { message: 'app nope not found', code: 'not_found' });
      const bad = await fetch(`${url}/v1/apply`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify({ manifest: 'x' }),
      });
      assert.equal(bad.status, 400);
      assert.deepEqual(await bad.json(), {
        message: 'invalid manifest: 1 problem(s); nothing was applied',
        code: 'invalid_argument',
        errors: [{ path: 'App/a spec', message: 'no' }],
      });
      const schema = await fetch(`${url}/v1/apply`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify({ dryRun: true }),
      });
      assert.equal(schema.status, 400);
      assert.equal(((await schema.json()) as { code: string }).code, 'invalid_argument');
    } finally {
      await app.close();
    }
  });
});
