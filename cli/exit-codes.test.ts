import assert from 'node:assert/strict';
import {
  BackupNotFoundError,
  InvalidArgumentError,
  RepositoryExistsError,
  RepositoryLockedError,
  RepositoryNotFoundError,
  UnsupportedFormatError,
  WrongPassphraseError,
} from '../backup/repository';
import { ApiError } from './api-client';
import { describeError, exitCodeFor } from './exit-codes';
import { UsageError } from './output';

describe('berth: exit codes', () => {
  it('exits by the server code when the answer has one, else by its status', () => {
    assert.equal(exitCodeFor(new ApiError(400, 'x', undefined, 'wrong_passphrase')), 2);
    assert.equal(exitCodeFor(new ApiError(404, 'x', undefined, 'repository_not_found')), 3);
    assert.equal(exitCodeFor(new ApiError(409, 'x', undefined, 'conflict')), 4);
    assert.equal(exitCodeFor(new ApiError(424, 'x', undefined, 'dependency_failed')), 1);
    assert.equal(exitCodeFor(new ApiError(422, 'x')), 2);
    assert.equal(exitCodeFor(new ApiError(404, 'x')), 3);
    assert.equal(exitCodeFor(new ApiError(409, 'x')), 4);
    assert.equal(exitCodeFor(new ApiError(503, 'x')), 1);
    assert.equal(exitCodeFor(new ApiError(0, 'cannot reach the Berth server')), 1);
  });

  it('exits by the code of local errors: usage, repositories, anything else', () => {
    assert.equal(exitCodeFor(new UsageError('bad flag')), 2);
    assert.equal(exitCodeFor(Object.assign(new Error('unknown option'), { name: 'CommanderError' })), 2);
    assert.equal(exitCodeFor(new WrongPassphraseError('/r')), 2);
    assert.equal(exitCodeFor(new UnsupportedFormatError('/r', 9)), 2);
    assert.equal(exitCodeFor(new InvalidArgumentError('bad id')), 2);
    assert.equal(exitCodeFor(new RepositoryNotFoundError('/r')), 3);
    assert.equal(exitCodeFor(new BackupNotFoundError('20240101T000000Z-deadbeef')), 3);
    assert.equal(exitCodeFor(new RepositoryExistsError('/r')), 4);
    assert.equal(exitCodeFor(new RepositoryLockedError('exclusive', ['backup'])), 4);
    assert.equal(exitCodeFor(new Error('boom')), 1);
  });

  it('prints the field errors an answer carries under its message', () => {
    assert.equal(
      describeError(
        new ApiError(400, 'invalid manifest', [
          { path: 'App/a spec', message: 'no' },
          { path: '', message: 'also' },
        ]),
      ),
      'invalid manifest\n  App/a spec: no\n  also',
    );
    assert.equal(describeError(new WrongPassphraseError('/r')), 'wrong passphrase for the backup repository at /r');
  });
});
