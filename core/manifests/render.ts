/**
 * Typed manifests back to the shape users write, for `get -o yaml|json` and round trips
 * (`berth get app pg -o yaml | berth apply -f -` must be a no-op). Quantities are written exactly:
 * 1.5Gi stays "1536Mi", never a rounded "1.5Gi" that would parse to a different size.
 */
import { formatCpu } from '../domain';
import { healthCheckDocument } from './health-check-schema';
import { REDACTED } from './secret-data';
import type { AppSpec, HookPolicy, Hooks, Manifest } from './types';

export type ManifestDocument = Record<string, unknown>;

export function toDocument(manifest: Manifest): ManifestDocument {
  switch (manifest.kind) {
    case 'App':
      return { kind: 'App', name: manifest.name, spec: appSpecDocument(manifest.spec) };
    case 'StorageClass':
      return { kind: 'StorageClass', name: manifest.name, spec: { ...manifest.spec } };
    case 'Plugin':
      return { kind: 'Plugin', name: manifest.name, spec: { ...manifest.spec } };
    case 'Secret':
      // Values never leave the server this way; keys are shown so users can check them.
      return { kind: 'Secret', name: manifest.name, data: Object.fromEntries(manifest.data.keys().map((k) => [k, REDACTED])) };
  }
}

export function appSpecDocument(spec: AppSpec): ManifestDocument {
  return {
    instances: spec.instances,
    runtime: spec.runtime,
    ...(spec.image !== undefined ? { image: spec.image } : {}),
    command: spec.command,
    env: spec.env,
    resources: { cpu: formatCpu(spec.resources.cpuMillis), memory: formatExactBytes(spec.resources.memoryBytes) },
    ...(spec.stop ? { stop: { signal: spec.stop.signal, gracePeriod: formatDuration(spec.stop.gracePeriodSeconds) } } : {}),
    ...(spec.user !== undefined ? { user: spec.user } : {}),
    ...(spec.fsGroup !== undefined ? { fsGroup: spec.fsGroup } : {}),
    ...(spec.readiness ? { readiness: healthCheckDocument(spec.readiness, 'readiness') } : {}),
    ...(spec.liveness ? { liveness: healthCheckDocument(spec.liveness, 'liveness') } : {}),
    constraints: spec.constraints.map((c) => ({ ...c })),
    ...(spec.ports ? { ports: spec.ports.map((p) => ({ ...p })) } : {}),
    volumes: spec.volumes.map((v) => ({
      name: v.name,
      mountPath: v.mountPath,
      readOnly: v.readOnly,
      ...(v.owner !== undefined ? { owner: v.owner } : {}),
      claim: {
        storageClass: v.claim.storageClass,
        size: formatExactBytes(v.claim.sizeBytes),
        accessMode: v.claim.accessMode,
        volumeMode: v.claim.volumeMode,
        ...(v.claim.dataSource ? { dataSource: { [v.claim.dataSource.kind]: v.claim.dataSource.id } } : {}),
      },
    })),
    onNodeLost: spec.onNodeLost,
    retainOnScaleDown: spec.retainOnScaleDown,
    hooks: hooksDocument(spec.hooks),
    ...(spec.backup
      ? {
          backup: {
            schedule: spec.backup.schedule,
            keep: spec.backup.keep,
            ...(spec.backup.repository !== undefined ? { repository: spec.backup.repository } : {}),
            ...(spec.backup.ttlSeconds !== undefined ? { ttl: formatDuration(spec.backup.ttlSeconds) } : {}),
          },
        }
      : {}),
  };
}

/** A hook with its own policy in the long form, else the plain command list it was written as. */
function hooksDocument(hooks: Hooks): ManifestDocument {
  const hook = (command: readonly string[], policy: HookPolicy | undefined) =>
    policy ? { command, timeout: formatDuration(policy.timeoutSeconds), onFailure: policy.onFailure } : command;
  return { preSnapshot: hook(hooks.preSnapshot, hooks.preSnapshotPolicy), postSnapshot: hook(hooks.postSnapshot, hooks.postSnapshotPolicy) };
}

const BINARY = ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const;

/** The largest binary suffix that divides `bytes` exactly: 1610612736 → "1536Mi", 1000 → "1000". */
export function formatExactBytes(bytes: number): string {
  for (let i = 0; i < BINARY.length; i++) {
    const unit = 1024 ** (BINARY.length - i);
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${BINARY[i]}`;
  }
  return String(bytes);
}

/** 90000 → "1d1h". */
export function formatDuration(seconds: number): string {
  const parts: string[] = [];
  let rest = seconds;
  for (const [suffix, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${suffix}`);
    rest -= n * size;
  }
  return parts.join('') || '0s';
}
