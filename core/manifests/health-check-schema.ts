/**
 * Schema of an App's `readiness` and `liveness`: one probe (`exec`, `http` or `tcp`) with its timing
 * and thresholds (core/domain/health-check.ts), defaults filled in.
 */
import { z } from 'zod';
import { DEFAULT_HEALTH_CHECK, HEALTH_CHECK_BOUNDS } from '../domain';
import type { HealthCheck, HealthCheckKind, HealthProbe } from '../domain';
import { describeValue } from './describe-value';
import { parseDurationSeconds, wholeNumber } from './fields';

/** "10s", "1m30s", "0s" or 10 → seconds; undefined when it is none of those. */
function secondsOf(input: unknown): number | undefined {
  if (typeof input === 'number') return Number.isSafeInteger(input) && input >= 0 ? input : undefined;
  if (typeof input !== 'string') return undefined;
  // parseDurationSeconds refuses zero, but an initial delay of 0s means "at once".
  if (/^\s*(0+[dhms])+\s*$|^\s*0+\s*$/.test(input)) return 0;
  return /^\s*\d+\s*$/.test(input) ? Number(input) : parseDurationSeconds(input);
}

function seconds(bounds: { readonly min: number; readonly max: number }): z.ZodType<number, unknown> {
  const expected = `expected a duration from ${bounds.min}s to 1h like 10s or 1m, or a whole number of seconds`;
  return z.unknown().transform((input, ctx): number => {
    const value = secondsOf(input);
    if (value === undefined || value < bounds.min || value > bounds.max) {
      ctx.addIssue({ code: 'custom', message: `${expected}, got ${describeValue(input)}` });
      return z.NEVER;
    }
    return value;
  });
}

const port = wholeNumber(1, { value: 65535, what: 'a TCP port' });
const threshold = wholeNumber(HEALTH_CHECK_BOUNDS.threshold.min, { value: HEALTH_CHECK_BOUNDS.threshold.max, what: 'consecutive results' });

const httpSchema = z.strictObject({
  port,
  path: z
    .string()
    .refine((p) => p.startsWith('/') && !/\s/.test(p), { error: (iss) => `expected a path like /healthz, got ${describeValue(iss.input)}` })
    .default('/'),
});

const checkSchema = (kind: HealthCheckKind) =>
  z
    .strictObject({
      exec: z.array(z.string()).min(1, { error: 'expected at least the program to run' }).optional(),
      http: httpSchema.optional(),
      tcp: z.strictObject({ port }).optional(),
      interval: seconds(HEALTH_CHECK_BOUNDS.intervalSeconds).optional(),
      timeout: seconds(HEALTH_CHECK_BOUNDS.timeoutSeconds).optional(),
      failureThreshold: threshold.optional(),
      successThreshold: threshold.optional(),
      initialDelay: seconds(HEALTH_CHECK_BOUNDS.initialDelaySeconds).optional(),
    })
    .transform((c, ctx): HealthCheck => {
      const probes: HealthProbe[] = [];
      if (c.exec) probes.push({ kind: 'exec', command: c.exec });
      if (c.http) probes.push({ kind: 'http', port: c.http.port, path: c.http.path });
      if (c.tcp) probes.push({ kind: 'tcp', port: c.tcp.port });
      if (probes.length !== 1) {
        const found = probes.length === 0 ? 'none' : probes.map((p) => p.kind).join(' and ');
        ctx.addIssue({ code: 'custom', message: `expected exactly one probe: exec (a command), http ({ port, path }) or tcp ({ port }); got ${found}` });
      }
      const check: HealthCheck = {
        probe: probes[0]!,
        intervalSeconds: c.interval ?? DEFAULT_HEALTH_CHECK.intervalSeconds,
        timeoutSeconds: c.timeout ?? DEFAULT_HEALTH_CHECK.timeoutSeconds,
        failureThreshold: c.failureThreshold ?? DEFAULT_HEALTH_CHECK.failureThreshold,
        successThreshold: c.successThreshold ?? DEFAULT_HEALTH_CHECK.successThreshold,
        initialDelaySeconds: c.initialDelay ?? DEFAULT_HEALTH_CHECK.initialDelaySeconds,
      };
      if (check.timeoutSeconds > check.intervalSeconds) {
        ctx.addIssue({
          code: 'custom',
          path: ['timeout'],
          message: `must not be longer than the interval (${check.intervalSeconds} s): probes of one task never overlap`,
        });
      }
      if (kind === 'liveness' && check.successThreshold !== 1) {
        ctx.addIssue({ code: 'custom', path: ['successThreshold'], message: 'must be 1 for liveness: one success shows the task is alive' });
      }
      return probes.length === 1 ? check : z.NEVER;
    });

export const readinessSchema = checkSchema('readiness');
export const livenessSchema = checkSchema('liveness');

/** A check in the shape users write it, every field spelt out (so `get -o yaml | apply -f -` is a no-op). */
export function healthCheckDocument(check: HealthCheck, kind: HealthCheckKind): Record<string, unknown> {
  const p = check.probe;
  const probe = p.kind === 'exec' ? { exec: [...p.command] } : p.kind === 'http' ? { http: { port: p.port, path: p.path } } : { tcp: { port: p.port } };
  return {
    ...probe,
    interval: `${check.intervalSeconds}s`,
    timeout: `${check.timeoutSeconds}s`,
    failureThreshold: check.failureThreshold,
    ...(kind === 'readiness' ? { successThreshold: check.successThreshold } : {}),
    initialDelay: `${check.initialDelaySeconds}s`,
  };
}
