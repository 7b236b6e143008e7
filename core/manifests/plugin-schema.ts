/** Schema of `kind: Plugin`: a CSI driver's registration (endpoints) and the pools it serves. */
import { z } from 'zod';
import { boundedList, boundedRecord, endpoint, nodeId, nonEmptyString, scalarString } from './fields';
import { MAX_PARAMETERS, MAX_PLUGIN_NODES, MAX_POOLS } from './limits';
import type { PluginSpec } from './types';

const endpointSchema = z.strictObject({ endpoint: endpoint() });

const poolSchema = z.strictObject({
  pool: nonEmptyString(),
  /** GetCapacity parameters that select this pool; default { pool: <name> }. */
  parameters: boundedRecord(z.record(z.string(), scalarString()), MAX_PARAMETERS, 'parameters').optional(),
});

export const pluginSpecSchema = z
  .strictObject({
    controller: endpointSchema.optional(),
    nodes: boundedRecord(z.record(nodeId(), endpointSchema), MAX_PLUGIN_NODES, 'nodes').default({}),
    pools: boundedList(z.array(poolSchema), MAX_POOLS, 'pools').default([]),
  })
  .superRefine((spec, ctx) => {
    const seen = new Set<string>();
    spec.pools.forEach((p, i) => {
      if (seen.has(p.pool)) ctx.addIssue({ code: 'custom', path: ['pools', i, 'pool'], message: `duplicate pool ${JSON.stringify(p.pool)}` });
      seen.add(p.pool);
    });
  })
  .transform(
    (spec): PluginSpec => ({
      ...(spec.controller ? { controller: spec.controller } : {}),
      nodes: spec.nodes,
      pools: spec.pools.map((p) => ({ pool: p.pool, parameters: p.parameters ?? { pool: p.pool } })),
    }),
  );
