/** `spec.stop` of an App: `{ signal, gracePeriod }` (core/domain/stop-policy.ts). */
import { z } from 'zod';
import { DEFAULT_STOP_POLICY, isStopSignal, MAX_GRACE_SECONDS, STOP_SIGNALS } from '../domain';
import type { StopPolicy } from '../domain';
import { describeValue } from './describe-value';
import { parseDurationSeconds } from './fields';

const GRACE_EXPECTED = `expected a duration from 0s to 1h like 30s or 2m, or a whole number of seconds`;

/** "30s", "1m30s", "0s" or 45 → seconds; undefined when it is none of those. */
function graceSeconds(input: unknown): number | undefined {
  if (typeof input === 'number') return Number.isSafeInteger(input) && input >= 0 ? input : undefined;
  if (typeof input !== 'string') return undefined;
  // parseDurationSeconds refuses zero (a zero TTL means nothing), but a zero grace period is a plain SIGKILL.
  if (/^\s*(0+[dhms])+\s*$|^\s*0+\s*$/.test(input)) return 0;
  return /^\s*\d+\s*$/.test(input) ? Number(input) : parseDurationSeconds(input);
}

const gracePeriod = z.unknown().transform((input, ctx): number => {
  const seconds = graceSeconds(input);
  if (seconds === undefined || seconds > MAX_GRACE_SECONDS) {
    ctx.addIssue({ code: 'custom', message: `${GRACE_EXPECTED}, got ${describeValue(input)}` });
    return z.NEVER;
  }
  return seconds;
});

const signal = z.unknown().transform((input, ctx): StopPolicy['signal'] => {
  if (isStopSignal(input)) return input;
  ctx.addIssue({ code: 'custom', message: `expected one of ${STOP_SIGNALS.join(', ')}, got ${describeValue(input)}` });
  return z.NEVER;
});

export const stopSchema = z.strictObject({ signal: signal.optional(), gracePeriod: gracePeriod.optional() }).transform(
  (s): StopPolicy => ({
    signal: s.signal ?? DEFAULT_STOP_POLICY.signal,
    gracePeriodSeconds: s.gracePeriod ?? DEFAULT_STOP_POLICY.gracePeriodSeconds,
  }),
);
