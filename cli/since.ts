import { UsageError } from './output';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `--since`: a duration back from `now` ("90s", "10m", "1h30m", "2d") or an RFC 3339 time
 * ("2026-01-02T15:04:05Z", "2026-01-02T15:04:05+01:00"), as the time it names. The CLI turns a
 * duration into a time, so "10m" means ten minutes by the operator's clock.
 */
export function parseSince(text: string, now = Date.now()): Date {
  const value = text.trim();
  if (/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(value)) {
    let ms = 0;
    for (const [, n, unit] of value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) ms += Number(n) * UNIT_MS[unit];
    return new Date(now - ms);
  }
  const rfc3339 = /^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d(:\d\d(\.\d+)?)?([Zz]|[+-]\d\d:\d\d)$/;
  const at = Date.parse(value.replace(' ', 'T'));
  if (rfc3339.test(value) && !Number.isNaN(at)) return new Date(at);
  throw new UsageError(`--since must be a duration such as 10m, 1h30m, 2d or an RFC 3339 time such as 2026-01-02T15:04:05Z, got ${JSON.stringify(text)}`);
}
