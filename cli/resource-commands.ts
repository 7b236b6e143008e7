import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import {
  apply as applyRoute,
  type AppDescription,
  deleteApp,
  deleteClaim,
  deleteStorageClass,
  deleteVolume,
  describeApp,
  getApp,
  type Items,
  listApps,
  listClaims,
  listEndpoints,
  listEvents,
  listNodes,
  listPlugins,
  listRecoveryPoints,
  listReservations,
  listStorageClasses,
  listTasks,
  listVolumes,
  scaleApp,
} from '../api';
import type { ApiClient } from './api-client';
import { logsCommand } from './logs-command';
import { RECOVERY_POINT_COLUMNS } from './backup-commands';
import { type Column, formatBytes, type OutputFormat, parseFormat, printRows, UsageError } from './output';
import { manifestTooLarge } from '../core/manifests/source';
import { formatHostPorts } from '../core/domain';
import { ENDPOINT_COLUMNS } from './endpoint-columns';

/** How `berth get KIND [NAME]` fetches and prints one kind; `-o json|yaml` prints the API objects whole. */
interface Table {
  /** Kinds that can be fetched by name (apps). */
  byName: boolean;
  print(api: ApiClient, format: OutputFormat, name?: string): Promise<void>;
}

function table<T>(list: (api: ApiClient) => Promise<Items<T>>, columns: Column<T>[], one?: (api: ApiClient, name: string) => Promise<T>): Table {
  return {
    byName: one !== undefined,
    async print(api, format, name) {
      if (name !== undefined && one) {
        const item = await one(api, name);
        printRows(format, item, columns, [item]);
        return;
      }
      const data = await list(api);
      printRows(format, data, columns, data.items);
    },
  };
}

/** `berth get endpoints [APP]`: the name filters by app (the server lists one app's with ?app=). */
const endpointsTable: Table = {
  byName: true,
  async print(api, format, app) {
    const data = await api.call(listEndpoints, { query: app === undefined ? {} : { app } });
    printRows(format, data, ENDPOINT_COLUMNS, data.items);
  },
};

const TABLES: Record<string, Table> = {
  apps: table(
    (api) => api.call(listApps),
    [
      ['name', (r) => r.name],
      ['instances', (r) => r.instances],
      ['running', (r) => r.running],
      ['generation', (r) => r.generation],
      ['state', (r) => r.state],
    ],
    (api, name) => api.call(getApp, { params: { name } }),
  ),
  tasks: table(
    (api) => api.call(listTasks),
    [
      ['id', (r) => r.id],
      ['app', (r) => r.app],
      ['node', (r) => r.nodeId],
      ['state', (r) => r.state],
      // Readiness of a running task whose app has a readiness check; '-' otherwise.
      ['health', (r) => (r.state === 'running' && r.health) || '-'],
      ['restarts', (r) => r.restarts],
      ['ports', (r) => (r.hostPorts?.length ? formatHostPorts(r.hostPorts) : '')],
      ['message', (r) => r.message],
    ],
  ),
  nodes: table(
    (api) => api.call(listNodes),
    [
      ['id', (r) => r.id],
      ['state', (r) => r.state],
      ['address', (r) => r.address],
      ['dns', (r) => r.dnsAddress],
      ['cpu', (r) => r.cpuCores],
      ['memory', (r) => formatBytes(r.memoryBytes)],
      ['pools', (r) => (r.pools ?? []).map((p) => `${p.plugin}/${p.pool}=${formatBytes(p.availableBytes)}`).join(' ')],
    ],
  ),
  volumes: table(
    (api) => api.call(listVolumes),
    [
      ['id', (r) => r.id],
      ['plugin', (r) => r.plugin],
      ['node', (r) => r.nodeId],
      ['size', (r) => formatBytes(r.capacityBytes)],
      ['claim', (r) => r.claimId],
      ['state', (r) => r.state],
    ],
  ),
  claims: table(
    (api) => api.call(listClaims),
    [
      ['id', (r) => r.id],
      ['class', (r) => r.storageClass],
      ['size', (r) => formatBytes(r.sizeBytes)],
      ['volume', (r) => r.volumeId],
      ['state', (r) => r.state],
    ],
  ),
  reservations: table(
    (api) => api.call(listReservations),
    [
      ['holder', (r) => r.holderId],
      ['node', (r) => r.nodeId],
      ['kind', (r) => r.kind],
      ['cpu', (r) => r.cpu],
      ['memory', (r) => formatBytes(r.memoryBytes)],
      ['storage', (r) => r.storage],
      ['ports', (r) => (r.amounts.hostPorts?.length ? formatHostPorts(r.amounts.hostPorts) : '')],
    ],
  ),
  endpoints: endpointsTable,
  snapshots: table((api) => api.call(listRecoveryPoints), RECOVERY_POINT_COLUMNS),
  storageclasses: table(
    (api) => api.call(listStorageClasses),
    [
      ['name', (r) => r.name],
      ['plugin', (r) => r.plugin],
      ['binding', (r) => r.bindingMode],
      ['reclaim', (r) => r.reclaimPolicy],
    ],
  ),
  plugins: table(
    (api) => api.call(listPlugins),
    [
      ['name', (r) => r.name],
      ['nodes', (r) => (r.nodes ?? []).join(',')],
      ['capabilities', (r) => (r.controllerCapabilities ?? []).length],
    ],
  ),
  events: table(
    (api) => api.call(listEvents),
    [
      ['time', (r) => r.time],
      ['object', (r) => r.object],
      ['reason', (r) => r.reason],
      ['message', (r) => r.message],
    ],
  ),
};
const ALIASES: Record<string, string> = {
  app: 'apps',
  task: 'tasks',
  node: 'nodes',
  volume: 'volumes',
  vol: 'volumes',
  claim: 'claims',
  reservation: 'reservations',
  endpoint: 'endpoints',
  snapshot: 'snapshots',
  storageclass: 'storageclasses',
  sc: 'storageclasses',
  plugin: 'plugins',
  event: 'events',
};

function kindOf(kind: string): string {
  const k = ALIASES[kind] ?? kind;
  if (!TABLES[k]) throw new UsageError(`unknown kind ${JSON.stringify(kind)} (one of: ${Object.keys(TABLES).join(', ')})`);
  return k;
}

function readManifest(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

export function resourceCommands(api: () => ApiClient): Command[] {
  const apply = new Command('apply')
    .description('create or update apps, storage classes, plugins and secrets from a YAML/JSON manifest')
    .requiredOption('-f, --file <file>', 'manifest file, or - for stdin')
    .option('--dry-run', 'validate only; change nothing')
    .action(async (opts: { file: string; dryRun?: boolean }) => {
      const manifest = readManifest(opts.file);
      // Checked before sending: a server refusing a body it will not read closes the connection mid-upload.
      const tooLarge = manifestTooLarge(Buffer.byteLength(manifest, 'utf8'));
      if (tooLarge) throw new UsageError(`${opts.file}: ${tooLarge}`);
      const res = await api().call(applyRoute, { body: { manifest, dryRun: Boolean(opts.dryRun) } });
      for (const a of res.applied) process.stdout.write(`${a.kind.toLowerCase()}/${a.name} ${a.action}${opts.dryRun ? ' (dry run)' : ''}\n`);
    });

  const get = new Command('get')
    .description(`list objects: ${Object.keys(TABLES).join(', ')}`)
    .argument('<kind>')
    .argument('[name]')
    .option('-o, --output <format>', 'table, json or yaml')
    .action(async (kindArg: string, name: string | undefined, opts: { output?: string }) => {
      const format = parseFormat(opts.output);
      const kind = kindOf(kindArg);
      if (name && !TABLES[kind].byName) throw new UsageError(`get ${kind} takes no name (list them all, or use -o json and filter)`);
      await TABLES[kind].print(api(), format, name || undefined);
    });

  const describe = new Command('describe')
    .description('show an app with its tasks, claims, volumes, events and why pending tasks are pending')
    .argument('<kind>', 'app')
    .argument('<name>')
    .option('-o, --output <format>', 'table, json or yaml')
    .action(async (kind: string, name: string, opts: { output?: string }) => {
      if (kindOf(kind) !== 'apps') throw new UsageError('describe supports: app');
      const format = parseFormat(opts.output);
      const d = await api().call(describeApp, { params: { name } });
      if (format !== 'table') {
        printRows(format, d, [], []);
        return;
      }
      printDescribe(d);
    });

  const del = new Command('delete')
    .description(
      'delete an app (its volumes are deleted or retained per the storage class reclaim policy), a storage class, a claim kept after a scale-down (its volume goes per the reclaim policy) or a released volume',
    )
    .argument('<kind>', 'app, storageclass, claim or volume')
    .argument('<name>', 'its name or id (a claim id is app/volume/instance)')
    .action(async (kind: string, name: string) => {
      const k = kindOf(kind);
      const res =
        k === 'apps'
          ? await api().call(deleteApp, { params: { name } })
          : k === 'storageclasses'
            ? await api().call(deleteStorageClass, { params: { name } })
            : k === 'claims'
              ? await api().call(deleteClaim, { params: { id: name } })
              : k === 'volumes'
                ? await api().call(deleteVolume, { params: { id: name } })
                : undefined;
      if (!res) throw new UsageError(`delete supports app, storageclass, claim and volume, not ${kind}`);
      process.stdout.write(`${res.message}\n`);
    });

  const scale = new Command('scale')
    .description('change the number of instances of an app')
    .argument('<app>')
    .argument('<instances>')
    .action(async (app: string, instances: string) => {
      if (!/^\d+$/.test(instances)) throw new UsageError(`instances must be a whole number, got ${JSON.stringify(instances)}`);
      const res = await api().call(scaleApp, { params: { name: app }, body: { instances: Number(instances) } });
      process.stdout.write(`${res.message}\n`);
    });

  return [apply, get, describe, del, scale, logsCommand(api)];
}

function printDescribe(d: AppDescription): void {
  const w = (s: string) => process.stdout.write(`${s}\n`);
  const { app } = d;
  w(`App: ${app.name}   generation ${app.generation}   instances ${app.spec.instances}`);
  if (app.rolloutStalled?.generation === app.generation) w(`Rollout: ${app.rolloutStalled.message}`);
  w('\nTasks:');
  for (const t of d.tasks) {
    const health = t.state === 'running' && t.health ? `  ${t.health}` : '';
    const ports = t.hostPorts?.length ? `  ports ${formatHostPorts(t.hostPorts)}` : '';
    const address = t.state === 'running' && t.containerAddress ? `  address ${t.containerAddress}` : '';
    w(
      `  ${t.id}  ${t.state}${health}${t.nodeId ? ` on ${t.nodeId}` : ''}${ports}${address}${t.restarts ? `  restarts ${t.restarts}` : ''}${t.message ? `  — ${t.message}` : ''}`,
    );
    if (t.healthMessage) w(`      last check failure: ${t.healthMessage}`);
    for (const r of t.rejections ?? []) w(`      node ${r.nodeId}: ${r.reason}: ${r.message}`);
  }
  w('\nClaims:');
  for (const c of d.claims) w(`  ${c.id}  ${formatBytes(c.sizeBytes)}  ${c.state}${c.volumeId ? `  → ${c.volumeId}` : ''}`);
  w('\nVolumes:');
  for (const v of d.volumes) w(`  ${v.id}  ${v.plugin}  node ${v.nodeId ?? '-'}  ${formatBytes(v.capacityBytes)}  ${v.state}`);
  w('\nEvents:');
  for (const e of d.events.slice(-20)) w(`  ${e.time}  ${e.object}  ${e.reason}: ${e.message}`);
}
