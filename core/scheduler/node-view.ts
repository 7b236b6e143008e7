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
  /** Plugins, pools, their health and pool labels as one string: nodes with equal signatures are interchangeable for static storage checks. */
  readonly storageSignature: string;
}

const cache = new WeakMap<NodeInfo, NodeView>();

export function nodeView(info: NodeInfo): NodeView {
  let view = cache.get(info);
  if (!view) {
    const pluginByName = new Map(info.plugins.map((p) => [p.plugin, p] as const));
    const pools = info.pools.map((pool) => ({ pool, key: poolKey(pool.plugin, pool.pool) }));
    view = { id: info.id, info, pluginByName, pools, storageSignature: storageSignature(info) };
    cache.set(info, view);
  }
  return view;
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
