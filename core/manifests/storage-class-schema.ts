/** Schema of `kind: StorageClass`: which plugin provisions, how and when, and with which secrets. */
import { z } from 'zod';
import { csiDriverName, dnsName, nonEmptyString, scalarString } from './fields';
import type { StorageClassSpec } from './types';

export const storageClassSpecSchema = z
  .strictObject({
    plugin: csiDriverName(),
    bindingMode: z.enum(['Immediate', 'WaitForFirstConsumer']).default('WaitForFirstConsumer'),
    reclaimPolicy: z.enum(['Delete', 'Retain']).default('Delete'),
    allowExpansion: z.boolean().default(false),
    pool: nonEmptyString().max(253).optional(),
    parameters: z.record(z.string(), scalarString()).default({}),
    mountOptions: z.array(nonEmptyString()).default([]),
    fsType: nonEmptyString().optional(),
    provisionerSecret: dnsName().optional(),
    publishSecret: dnsName().optional(),
    stageSecret: dnsName().optional(),
  })
  .transform((spec): StorageClassSpec => dropUndefined(spec));

/** Optional fields absent rather than `undefined`, so stored JSON and deep-equality comparisons stay clean. */
export function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
