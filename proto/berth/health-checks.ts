/** A health check (core/domain/health-check.ts) to and from its wire form, TaskAssignment.readiness/liveness. */
import { DEFAULT_HEALTH_CHECK, HEALTH_CHECK_BOUNDS } from '../../core/domain';
import type { HealthCheck, HealthProbe } from '../../core/domain';
import type { HealthCheck as WireCheck, HealthCheck__Output as WireCheckOutput } from './generated/berth/agent/v1/HealthCheck';

export function toWireCheck(check: HealthCheck): WireCheck {
  const p = check.probe;
  return {
    kind: p.kind,
    ...(p.kind === 'exec' ? { command: [...p.command] } : { port: p.port }),
    ...(p.kind === 'http' ? { path: p.path } : {}),
    intervalSeconds: check.intervalSeconds,
    timeoutSeconds: check.timeoutSeconds,
    failureThreshold: check.failureThreshold,
    successThreshold: check.successThreshold,
    initialDelaySeconds: check.initialDelaySeconds,
  };
}

/**
 * The check an assignment carries, or undefined when it has none or one this agent cannot run (a probe
 * kind from a newer server): such a check is skipped rather than failing the task. Numbers are held to
 * the manifest's bounds, so a zero from an older or broken sender never makes a busy loop.
 */
export function fromWireCheck(wire: WireCheckOutput | null | undefined): HealthCheck | undefined {
  if (!wire) return undefined;
  let probe: HealthProbe;
  if (wire.kind === 'exec' && wire.command.length > 0) probe = { kind: 'exec', command: [...wire.command] };
  else if (wire.kind === 'http' && wire.port > 0) probe = { kind: 'http', port: wire.port, path: wire.path || '/' };
  else if (wire.kind === 'tcp' && wire.port > 0) probe = { kind: 'tcp', port: wire.port };
  else return undefined;
  const b = HEALTH_CHECK_BOUNDS;
  const interval = within(wire.intervalSeconds, b.intervalSeconds, DEFAULT_HEALTH_CHECK.intervalSeconds);
  return {
    probe,
    intervalSeconds: interval,
    timeoutSeconds: Math.min(within(wire.timeoutSeconds, b.timeoutSeconds, DEFAULT_HEALTH_CHECK.timeoutSeconds), interval),
    failureThreshold: within(wire.failureThreshold, b.threshold, DEFAULT_HEALTH_CHECK.failureThreshold),
    successThreshold: within(wire.successThreshold, b.threshold, DEFAULT_HEALTH_CHECK.successThreshold),
    initialDelaySeconds: within(wire.initialDelaySeconds, b.initialDelaySeconds, DEFAULT_HEALTH_CHECK.initialDelaySeconds),
  };
}

function within(value: number, bounds: { readonly min: number; readonly max: number }, fallback: number): number {
  if (!Number.isFinite(value) || value === 0) return bounds.min === 0 ? 0 : fallback;
  return Math.min(Math.max(Math.round(value), bounds.min), bounds.max);
}
