/**
 * Plugins: the registration from a `kind: Plugin` manifest (or created by an agent's
 * registration), the capabilities discovered from the driver, and per-node endpoints.
 */
import type Database from 'better-sqlite3';
import type { PluginSpec } from '../../manifests';
import { pluginNodeId } from '../ids';
import type { PluginCapabilities, PluginNodeRecord, PluginRecord } from '../records';
import type { Applied, Patch, PluginRepository, WriteOptions } from '../store';
import { DocumentTable } from './document-table';
import { applySpec } from './named-spec';
import type { TxState } from './tx-state';

const EMPTY_SPEC: PluginSpec = { nodes: {}, pools: [] };

export class SqlitePlugins implements PluginRepository {
  private readonly table: DocumentTable<PluginRecord>;
  private readonly nodes: DocumentTable<PluginNodeRecord, { plugin?: string; nodeId?: string }>;

  constructor(db: Database.Database, tx: TxState, now: () => number) {
    this.table = new DocumentTable<PluginRecord>(db, { table: 'plugins', kind: 'plugin', keyOf: (p) => p.name, indexed: {} }, tx, now);
    this.nodes = new DocumentTable(
      db,
      { table: 'plugin_nodes', kind: 'plugin node registration', keyOf: (r) => pluginNodeId(r.plugin, r.nodeId), indexed: { plugin: 'plugin', nodeId: 'node_id' } },
      tx,
      now,
    );
  }

  get(name: string): PluginRecord | undefined {
    return this.table.get(name);
  }

  require(name: string): PluginRecord {
    return this.table.require(name);
  }

  list(): PluginRecord[] {
    return this.table.list();
  }

  nodeRegistrations(filter: { plugin?: string; nodeId?: string } = {}): PluginNodeRecord[] {
    return this.nodes.list(filter);
  }

  apply(name: string, spec: PluginSpec, options: WriteOptions = {}): Applied<PluginRecord> {
    const applied = applySpec(this.table, name, spec, options, (s) => ({ name, spec: s }));
    if (applied.change !== 'unchanged') this.syncManifestNodes(name, spec);
    return applied;
  }

  setCapabilities(name: string, capabilities: PluginCapabilities): PluginRecord {
    return this.table.update(name, { capabilities });
  }

  registerNode(registration: { plugin: string; nodeId: string; endpoint: string }): PluginNodeRecord {
    const { plugin, nodeId, endpoint } = registration;
    if (!this.table.get(plugin)) this.table.create({ name: plugin, spec: EMPTY_SPEC });
    const key = pluginNodeId(plugin, nodeId);
    const current = this.nodes.get(key);
    if (!current) return this.nodes.create({ plugin, nodeId, endpoint, source: 'agent' });
    if (current.endpoint === endpoint && current.source === 'agent') return current;
    return this.nodes.update(key, { endpoint, source: 'agent' });
  }

  updateNodeRegistration(plugin: string, nodeId: string, patch: Patch<PluginNodeRecord>): PluginNodeRecord {
    return this.nodes.update(pluginNodeId(plugin, nodeId), patch);
  }

  unregisterNode(plugin: string, nodeId: string): PluginNodeRecord | undefined {
    return this.nodes.delete(pluginNodeId(plugin, nodeId));
  }

  /** Node registrations follow the plugin: deleting it removes them (ON DELETE CASCADE). */
  delete(name: string, options: WriteOptions = {}): PluginRecord | undefined {
    return this.table.delete(name, options);
  }

  /** The manifest is the truth for manifest-sourced registrations; an agent's own registration wins over it. */
  private syncManifestNodes(plugin: string, spec: PluginSpec): void {
    for (const existing of this.nodes.list({ plugin })) {
      if (existing.source === 'manifest' && !(existing.nodeId in spec.nodes)) this.nodes.delete(pluginNodeId(plugin, existing.nodeId));
    }
    for (const [nodeId, { endpoint }] of Object.entries(spec.nodes)) {
      const key = pluginNodeId(plugin, nodeId);
      const current = this.nodes.get(key);
      if (!current) this.nodes.create({ plugin, nodeId, endpoint, source: 'manifest' });
      else if (current.source === 'manifest' && current.endpoint !== endpoint) this.nodes.update(key, { endpoint });
    }
  }
}
