/**
 * Health checks of a task, after the conventions of Kubernetes probes and Nomad checks: a readiness
 * check says whether the task serves (rolling updates wait for it), a liveness check whether it must be
 * restarted. Each is one probe — a command in the task, an HTTP GET or a TCP connect — run every
 * `intervalSeconds`, given `timeoutSeconds`, and judged by consecutive results.
 */

export type HealthProbe =
  | { readonly kind: 'exec'; readonly command: readonly string[] }
  /** A 2xx or 3xx answer is a success. */
  | { readonly kind: 'http'; readonly port: number; readonly path: string }
  | { readonly kind: 'tcp'; readonly port: number };

export interface HealthCheck {
  readonly probe: HealthProbe;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  /** Consecutive failures that make the check fail (readiness: not ready; liveness: restart). */
  readonly failureThreshold: number;
  /** Consecutive successes that make a readiness check pass again; always 1 for liveness. */
  readonly successThreshold: number;
  /** Seconds after the task starts before the first probe. */
  readonly initialDelaySeconds: number;
}

export type HealthCheckKind = 'readiness' | 'liveness';

/** Kubernetes' defaults: every 10 s, 1 s to answer, 3 failures, 1 success, no initial delay. */
export const DEFAULT_HEALTH_CHECK = { intervalSeconds: 10, timeoutSeconds: 1, failureThreshold: 3, successThreshold: 1, initialDelaySeconds: 0 } as const;

/**
 * Bounds: a check more often than every second costs more than it tells; one an hour apart (or an
 * initial delay past an hour) is no check. A timeout never exceeds the interval: probes never overlap.
 */
export const HEALTH_CHECK_BOUNDS = {
  intervalSeconds: { min: 1, max: 3600 },
  timeoutSeconds: { min: 1, max: 3600 },
  initialDelaySeconds: { min: 0, max: 3600 },
  threshold: { min: 1, max: 100 },
} as const;

/**
 * The readiness of a task as the agent reports it: `unknown` until the check has passed
 * successThreshold or failed failureThreshold times in a row since the task started.
 */
export type TaskHealth = 'unknown' | 'healthy' | 'unhealthy';
export const TASK_HEALTH: readonly TaskHealth[] = ['unknown', 'healthy', 'unhealthy'];

export function isTaskHealth(value: unknown): value is TaskHealth {
  return typeof value === 'string' && (TASK_HEALTH as readonly string[]).includes(value);
}

/** "GET :8080/healthz", "TCP :5432", "exec pg_isready -q": what a probe does, for messages. */
export function describeProbe(probe: HealthProbe): string {
  switch (probe.kind) {
    case 'exec':
      return `exec ${probe.command.join(' ')}`;
    case 'http':
      return `GET :${probe.port}${probe.path}`;
    case 'tcp':
      return `TCP :${probe.port}`;
  }
}
