/**
 * A NodeInfo with what the filters look up (plugins by name, pools with their keys, storage signature).
 * Built once per NodeInfo object and cached: nodes change rarely, decisions happen constantly.
 */
import { poolKey } from '../domain';
import type { NodeInfo, NodePlugin, PoolKey, StoragePool } from '../domain';

export interface PoolView {
  readonly pool: StoragePool;
  readonly key: PoolKey;
}

export interface NodeView {
  readonly id: string;
  readonly info: NodeInfo;
  readonly pluginByName: ReadonlyMap<string, NodePlugin>;
  /** Pools in NodeInfo order (static storage verdicts refer to them by index). */
  readonly pools: readonly PoolView[];
  /**
   * Small integer naming the node's storage shape (plugins, pools, their health and pool labels):
   * nodes with equal shapes are interchangeable for static storage checks. An integer, not the
   * signature string, because it is looked up for every node a decision visits.
   */
  readonly storageShape: number;
}

const cache = new WeakMap<NodeInfo, NodeView>();
/** Signature → shape id. Grows with the distinct shapes ever seen: a handful per cluster. */
const shapeIds = new Map<string, number>();

export function nodeView(info: NodeInfo): NodeView {
  let view = cache.get(info);
  if (!view) {
    const pluginByName = new Map(info.plugins.map((p) => [p.plugin, p] as const));
    const pools = info.pools.map((pool) => ({ pool, key: poolKey(pool.plugin, pool.pool) }));
    view = { id: info.id, info, pluginByName, pools, storageShape: shapeId(storageSignature(info)) };
    cache.set(info, view);
  }
  return view;
}

function shapeId(signature: string): number {
  let id = shapeIds.get(signature);
  if (id === undefined) {
    id = shapeIds.size;
    shapeIds.set(signature, id);
  }
  return id;
}

function storageSignature(info: NodeInfo): string {
  const plugins = info.plugins.map((p) => `${p.plugin}=${p.healthy ? 1 : 0}`);
  const pools = info.pools.map((p) => {
    const labels = Object.entries(p.labels ?? {})
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}:${v}`)
      .join(',');
    return `${poolKey(p.plugin, p.pool)}=${p.healthy ? 1 : 0}{${labels}}`;
  });
  return `${plugins.join(';')}|${pools.join(';')}`;
}
