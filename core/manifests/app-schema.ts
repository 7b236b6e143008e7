/** Schema of `kind: App`: an app's instances, runtime, resources, placement constraints and volume templates. */
import { z } from 'zod';
import type { LabelConstraint } from '../domain';
import {
  boundedList,
  boundedRecord,
  boundedString,
  cpu,
  cronSchedule,
  dnsName,
  duration,
  nonEmptyString,
  scalarString,
  mountPath,
  mountPathPlacementProblem,
  size,
  wholeNumber,
} from './fields';
import { hooksSchema } from './hook-schema';
import { ACCESS_MODES, DEFAULT_STORAGE_CLASS, MAX_INSTANCES } from './types';
import type { AppSpec, ClaimTemplate, DataSource, VolumeTemplate } from './types';
import { stopSchema } from './stop-schema';
import { fsGroupField, ownerField, userField } from './identity-schema';
import { livenessSchema, readinessSchema } from './health-check-schema';
import {
  MAX_COMMAND_ARGS,
  MAX_CONSTRAINT_VALUES,
  MAX_CONSTRAINTS,
  MAX_ENV_ENTRIES,
  MAX_ENV_NAME_LENGTH,
  MAX_IMAGE_LENGTH,
  MAX_STRING_LENGTH,
  MAX_VOLUMES_PER_APP,
} from './limits';
import { portsSchema } from './port-schema';

const DEFAULT_CPU_MILLIS = 100;
const DEFAULT_MEMORY_BYTES = 128 * 1024 ** 2;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why `name` cannot be an environment variable name (POSIX shells' rule), or undefined. */
export function envNameProblem(name: string): string | undefined {
  if (name.length > MAX_ENV_NAME_LENGTH) return `an environment variable name is at most ${MAX_ENV_NAME_LENGTH} characters, got ${name.length}`;
  if (ENV_NAME.test(name)) return undefined;
  return `${JSON.stringify(name)} is not an environment variable name: letters, digits and "_", not starting with a digit (e.g. DATABASE_URL)`;
}

const dataSourceSchema = z.strictObject({ snapshot: nonEmptyString().optional(), volume: nonEmptyString().optional() }).transform((source, ctx): DataSource => {
  if (source.snapshot !== undefined && source.volume === undefined) return { kind: 'snapshot', id: source.snapshot };
  if (source.volume !== undefined && source.snapshot === undefined) return { kind: 'volume', id: source.volume };
  ctx.addIssue({ code: 'custom', message: 'expected exactly one of snapshot or volume' });
  return z.NEVER;
});

const claimSchema = z.strictObject({
  // Absent: the cluster's default class, filled in at apply (resolveDefaultStorageClass).
  storageClass: dnsName().default(DEFAULT_STORAGE_CLASS),
  size: size(),
  accessMode: z.enum(ACCESS_MODES as [string, ...string[]]).default('single-node-writer'),
  volumeMode: z.enum(['filesystem', 'block']).default('filesystem'),
  dataSource: dataSourceSchema.optional(),
});

const volumeSchema = z
  .strictObject({
    name: dnsName(),
    mountPath: mountPath(),
    readOnly: z.boolean().default(false),
    owner: ownerField.optional(),
    claim: claimSchema,
  })
  .superRefine((v, ctx) => {
    const problem = mountPathPlacementProblem(v.mountPath, v.claim.volumeMode);
    if (problem) ctx.addIssue({ code: 'custom', path: ['mountPath'], message: problem });
    if (v.owner !== undefined && v.claim.volumeMode === 'block') {
      ctx.addIssue({ code: 'custom', path: ['owner'], message: 'only applies to filesystem volumes (a block volume has no root directory)' });
    }
  })
  .transform((v): VolumeTemplate => {
    const claim: ClaimTemplate = {
      storageClass: v.claim.storageClass,
      sizeBytes: v.claim.size,
      accessMode: v.claim.accessMode as ClaimTemplate['accessMode'],
      volumeMode: v.claim.volumeMode,
      ...(v.claim.dataSource ? { dataSource: v.claim.dataSource } : {}),
    };
    // Absent unless written, so specs stored before this field compare equal to their re-applied manifest.
    return { name: v.name, mountPath: v.mountPath, readOnly: v.readOnly, ...(v.owner !== undefined ? { owner: v.owner } : {}), claim };
  });

/**
 * Either equality shorthand `{ key: disk, value: ssd }` or the full form
 * `{ key: zone, operator: In, values: [a, b] }` (operators In, NotIn, Exists, DoesNotExist).
 */
const constraintSchema = z
  .strictObject({
    key: nonEmptyString(),
    value: scalarString().optional(),
    operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']).optional(),
    values: boundedList(z.array(scalarString()), MAX_CONSTRAINT_VALUES, 'values').optional(),
  })
  .transform((c, ctx): LabelConstraint => {
    if (c.value !== undefined) {
      if (c.values !== undefined) ctx.addIssue({ code: 'custom', path: ['values'], message: 'give either value or values, not both' });
      if (c.operator !== undefined && c.operator !== 'In') {
        ctx.addIssue({ code: 'custom', path: ['operator'], message: `value means equality; use values with operator ${c.operator}` });
      }
      return { key: c.key, operator: 'In', values: [c.value] };
    }
    if (c.operator === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected value (equality) or operator (In, NotIn, Exists, DoesNotExist)' });
      return z.NEVER;
    }
    const needsValues = c.operator === 'In' || c.operator === 'NotIn';
    if (needsValues && (!c.values || c.values.length === 0)) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: `operator ${c.operator} needs at least one value` });
    }
    if (!needsValues && c.values !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: `operator ${c.operator} takes no values` });
    }
    return needsValues ? { key: c.key, operator: c.operator, values: c.values ?? [] } : { key: c.key, operator: c.operator };
  });

/** Names are checked here rather than by a key schema, whose failure zod reports as "Invalid key in record". */
const envSchema = boundedRecord(
  z.record(z.string(), scalarString()).superRefine((env, ctx) => {
    for (const [name, value] of Object.entries(env)) {
      const problem = envNameProblem(name);
      if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem });
      if (value.length > MAX_STRING_LENGTH)
        ctx.addIssue({ code: 'custom', path: [name], message: `at most ${MAX_STRING_LENGTH} characters allowed, got ${value.length}` });
    }
  }),
  MAX_ENV_ENTRIES,
  'environment variables',
);

const backupSchema = z.strictObject({
  schedule: cronSchedule(),
  keep: wholeNumber(1),
  ttl: duration().optional(),
  /** Repository name (berth repo add); absent: the cluster's only repository, or the one named default. */
  repository: dnsName().optional(),
});

const commandSchema = boundedList(z.array(boundedString(MAX_STRING_LENGTH)), MAX_COMMAND_ARGS, 'arguments');

export const appSpecSchema = z
  .strictObject({
    instances: wholeNumber(0, { value: MAX_INSTANCES, what: 'the most instances an app may have' }).default(1),
    runtime: z.enum(['docker', 'process']).default('docker'),
    image: nonEmptyString()
      .max(MAX_IMAGE_LENGTH, { error: (iss) => `at most ${MAX_IMAGE_LENGTH} characters allowed, got ${String(iss.input).length}` })
      .optional(),
    command: commandSchema.default([]),
    env: envSchema.default({}),
    resources: z.strictObject({ cpu: cpu().optional(), memory: size().optional() }).default({}),
    stop: stopSchema.optional(),
    user: userField.optional(),
    fsGroup: fsGroupField.optional(),
    readiness: readinessSchema.optional(),
    liveness: livenessSchema.optional(),
    constraints: boundedList(z.array(constraintSchema), MAX_CONSTRAINTS, 'constraints').default([]),
    ports: portsSchema.optional(),
    volumes: boundedList(z.array(volumeSchema), MAX_VOLUMES_PER_APP, 'volumes per app').default([]),
    onNodeLost: z.enum(['wait', 'restoreLatest']).default('wait'),
    retainOnScaleDown: z.boolean().default(true),
    hooks: hooksSchema,
    backup: backupSchema.optional(),
  })
  .superRefine((spec, ctx) => {
    // Cross-field rules run once every field is valid on its own.
    if (spec.runtime === 'docker' && spec.image === undefined) {
      ctx.addIssue({ code: 'custom', path: ['image'], message: 'is required when runtime is docker' });
    }
    if (spec.runtime === 'process' && spec.image !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['image'], message: 'only applies to runtime docker' });
    }
    if (spec.runtime === 'process' && spec.command.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['command'], message: 'is required when runtime is process' });
    }
    reportDuplicates(
      spec.volumes.map((v) => v.name),
      'name',
      ctx,
    );
    reportDuplicates(
      spec.volumes.map((v) => v.mountPath),
      'mountPath',
      ctx,
    );
    if (spec.onNodeLost === 'restoreLatest' && spec.backup === undefined && spec.volumes.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['onNodeLost'], message: 'restoreLatest needs a backup policy (spec.backup) to restore from' });
    }
  })
  .transform(
    (spec): AppSpec => ({
      instances: spec.instances,
      runtime: spec.runtime,
      ...(spec.image !== undefined ? { image: spec.image } : {}),
      command: spec.command,
      env: spec.env,
      resources: { cpuMillis: spec.resources.cpu ?? DEFAULT_CPU_MILLIS, memoryBytes: spec.resources.memory ?? DEFAULT_MEMORY_BYTES },
      // Absent unless written, so specs stored before this field compare equal to their re-applied manifest.
      ...(spec.stop ? { stop: spec.stop } : {}),
      ...(spec.user !== undefined ? { user: spec.user } : {}),
      ...(spec.fsGroup !== undefined ? { fsGroup: spec.fsGroup } : {}),
      ...(spec.readiness ? { readiness: spec.readiness } : {}),
      ...(spec.liveness ? { liveness: spec.liveness } : {}),
      constraints: spec.constraints,
      ...(spec.ports && spec.ports.length > 0 ? { ports: spec.ports } : {}),
      volumes: spec.volumes,
      onNodeLost: spec.onNodeLost,
      retainOnScaleDown: spec.retainOnScaleDown,
      hooks: spec.hooks,
      ...(spec.backup
        ? {
            backup: {
              schedule: spec.backup.schedule,
              keep: spec.backup.keep,
              ...(spec.backup.repository !== undefined ? { repository: spec.backup.repository } : {}),
              ...(spec.backup.ttl !== undefined ? { ttlSeconds: spec.backup.ttl } : {}),
            },
          }
        : {}),
    }),
  );

function reportDuplicates(values: readonly string[], field: string, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  values.forEach((value, i) => {
    if (seen.has(value)) ctx.addIssue({ code: 'custom', path: ['volumes', i, field], message: `duplicate ${field} ${JSON.stringify(value)}` });
    seen.add(value);
  });
}

export { DEFAULT_CPU_MILLIS, DEFAULT_MEMORY_BYTES };
