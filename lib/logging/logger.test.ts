import assert from 'node:assert/strict';
import { redact } from './logger';

describe('lib/logging', () => {
  it('redacts secrets at any depth, keeping only the key names of a secrets map, and leaves the rest alone', () => {
    const out = redact({
      name: 'v',
      secrets: { user: 'u', password: 'p' },
      nested: [{ chapSecret: 'x', ok: 1 }],
      volumeContext: { token: 't' },
      tokens: ['a'],
    });
    assert.deepEqual(out, {
      name: 'v',
      secrets: { user: '[REDACTED]', password: '[REDACTED]' },
      nested: [{ chapSecret: '[REDACTED]', ok: 1 }],
      volumeContext: { token: '[REDACTED]' },
      tokens: '[REDACTED]',
    });
  });
});
