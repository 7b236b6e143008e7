import type { NodeRecord } from '../server/store/records';
import { BLOCKING_QUERY, type Items } from './fields';
import { route } from './schema';

/** A node as listed: its record plus each plugin pool's free bytes, flattened. */
export type NodeView = NodeRecord & { pools: { plugin: string; pool: string; availableBytes: number }[] };

export const listNodes = route<Items<NodeView>>()({
  method: 'GET',
  url: '/v1/nodes',
  summary: 'nodes, their state and storage pools',
  schema: { querystring: BLOCKING_QUERY },
});
