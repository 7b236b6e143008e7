import assert from 'node:assert/strict';
import { UsageError } from './output';
import { parseSince } from './since';

describe('--since', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  it('a duration back from now', () => {
    assert.equal(parseSince('10m', now).toISOString(), '2026-03-01T11:50:00.000Z');
    assert.equal(parseSince('1h30m', now).toISOString(), '2026-03-01T10:30:00.000Z');
    assert.equal(parseSince('2d', now).toISOString(), '2026-02-27T12:00:00.000Z');
    assert.equal(parseSince('1.5s', now).toISOString(), '2026-03-01T11:59:58.500Z');
  });
  it('an RFC 3339 time', () => {
    assert.equal(parseSince('2026-01-02T15:04:05Z', now).toISOString(), '2026-01-02T15:04:05.000Z');
    assert.equal(parseSince('2026-01-02T15:04:05.5+01:00', now).toISOString(), '2026-01-02T14:04:05.500Z');
  });
  it('anything else is a usage error', () => {
    for (const bad of ['10', 'yesterday', '2026-01-02', '10x', '', '2026-13-45T00:00:00Z']) assert.throws(() => parseSince(bad, now), UsageError, bad);
  });
});
