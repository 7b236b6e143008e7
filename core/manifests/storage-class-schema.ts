/** Schema of `kind: StorageClass`: which plugin provisions, how and when, and with which secrets. */
import { z } from 'zod';
import { boundedList, boundedRecord, csiDriverName, dnsName, nonEmptyString, scalarString } from './fields';
import { MAX_MOUNT_OPTIONS, MAX_PARAMETERS } from './limits';
import type { StorageClassSpec } from './types';

export const storageClassSpecSchema = z
  .strictObject({
    plugin: csiDriverName(),
    default: z.boolean().optional(),
    bindingMode: z.enum(['Immediate', 'WaitForFirstConsumer']).default('WaitForFirstConsumer'),
    reclaimPolicy: z.enum(['Delete', 'Retain']).default('Delete'),
    allowExpansion: z.boolean().default(false),
    pool: nonEmptyString().max(253).optional(),
    parameters: boundedRecord(z.record(z.string(), scalarString()), MAX_PARAMETERS, 'parameters').default({}),
    mountOptions: boundedList(z.array(nonEmptyString()), MAX_MOUNT_OPTIONS, 'mount options').default([]),
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
