import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { ApiClient } from './api-client';
import { RECOVERY_POINT_COLUMNS } from './backup-commands';
import { formatBytes, parseFormat, printRows, UsageError } from './output';

type Row = Record<string, unknown>;
const col = (name: string, get: (r: Row) => unknown): [string, (r: never) => unknown] => [name, get as (r: never) => unknown];

/** Table columns per kind; `-o json|yaml` prints the API objects whole. */
const TABLES: Record<string, { path: string; columns: [string, (r: never) => unknown][] }> = {
  apps: { path: '/v1/apps', columns: [col('name', (r) => r.name), col('instances', (r) => r.instances), col('running', (r) => r.running), col('generation', (r) => r.generation), col('state', (r) => r.state)] },
  tasks: { path: '/v1/tasks', columns: [col('id', (r) => r.id), col('app', (r) => r.app), col('node', (r) => r.nodeId), col('state', (r) => r.state), col('restarts', (r) => r.restarts), col('message', (r) => r.message)] },
  nodes: { path: '/v1/nodes', columns: [col('id', (r) => r.id), col('state', (r) => r.state), col('address', (r) => r.address), col('cpu', (r) => r.cpuCores), col('memory', (r) => formatBytes(r.memoryBytes as number)), col('pools', (r) => (r.pools as { plugin: string; pool: string; availableBytes: number }[] ?? []).map((p) => `${p.plugin}/${p.pool}=${formatBytes(p.availableBytes)}`).join(' '))] },
  volumes: { path: '/v1/volumes', columns: [col('id', (r) => r.id), col('plugin', (r) => r.plugin), col('node', (r) => r.nodeId), col('size', (r) => formatBytes(r.capacityBytes as number)), col('claim', (r) => r.claimId), col('state', (r) => r.state)] },
  claims: { path: '/v1/claims', columns: [col('id', (r) => r.id), col('class', (r) => r.storageClass), col('size', (r) => formatBytes(r.sizeBytes as number)), col('volume', (r) => r.volumeId), col('state', (r) => r.state)] },
  reservations: { path: '/v1/reservations', columns: [col('holder', (r) => r.holderId), col('node', (r) => r.nodeId), col('kind', (r) => r.kind), col('cpu', (r) => r.cpu), col('memory', (r) => formatBytes(r.memoryBytes as number)), col('storage', (r) => r.storage)] },
  snapshots: { path: '/v1/snapshots', columns: RECOVERY_POINT_COLUMNS },
  storageclasses: { path: '/v1/storageclasses', columns: [col('name', (r) => r.name), col('plugin', (r) => r.plugin), col('binding', (r) => r.bindingMode), col('reclaim', (r) => r.reclaimPolicy)] },
  plugins: { path: '/v1/plugins', columns: [col('name', (r) => r.name), col('nodes', (r) => (r.nodes as string[] ?? []).join(',')), col('capabilities', (r) => (r.controllerCapabilities as string[] ?? []).length)] },
  events: { path: '/v1/events', columns: [col('time', (r) => r.time), col('object', (r) => r.object), col('reason', (r) => r.reason), col('message', (r) => r.message)] },
};
const ALIASES: Record<string, string> = { app: 'apps', task: 'tasks', node: 'nodes', volume: 'volumes', vol: 'volumes', claim: 'claims',
  reservation: 'reservations', snapshot: 'snapshots', storageclass: 'storageclasses', sc: 'storageclasses', plugin: 'plugins', event: 'events' };

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
  const apply = new Command('apply').description('create or update apps, storage classes, plugins and secrets from a YAML/JSON manifest')
    .requiredOption('-f, --file <file>', 'manifest file, or - for stdin')
    .option('--dry-run', 'validate only; change nothing')
    .action(async (opts: { file: string; dryRun?: boolean }) => {
      const res = await api().post<{ applied: { kind: string; name: string; action: string }[] }>('/v1/apply', { manifest: readManifest(opts.file), dryRun: Boolean(opts.dryRun) });
      for (const a of res.applied) process.stdout.write(`${a.kind.toLowerCase()}/${a.name} ${a.action}${opts.dryRun ? ' (dry run)' : ''}\n`);
    });

  const get = new Command('get').description(`list objects: ${Object.keys(TABLES).join(', ')}`)
    .argument('<kind>').argument('[name]').option('-o, --output <format>', 'table, json or yaml')
    .action(async (kindArg: string, name: string | undefined, opts: { output?: string }) => {
      const format = parseFormat(opts.output);
      const kind = kindOf(kindArg);
      if (name && kind !== 'apps') throw new UsageError(`get ${kind} takes no name (list them all, or use -o json and filter)`);
      const data = await api().get<{ items: Row[] } | Row>(name ? `${TABLES[kind].path}/${encodeURIComponent(name)}` : TABLES[kind].path);
      const rows = 'items' in data && Array.isArray(data.items) ? data.items : [data];
      printRows(format, data, TABLES[kind].columns, rows);
    });

  const describe = new Command('describe').description('show an app with its tasks, claims, volumes, events and why pending tasks are pending')
    .argument('<kind>', 'app').argument('<name>').option('-o, --output <format>', 'table, json or yaml')
    .action(async (kind: string, name: string, opts: { output?: string }) => {
      if (kindOf(kind) !== 'apps') throw new UsageError('describe supports: app');
      const format = parseFormat(opts.output);
      const d = await api().get<DescribeApp>(`/v1/apps/${encodeURIComponent(name)}/describe`);
      if (format !== 'table') { printRows(format, d, [], []); return; }
      printDescribe(d);
    });

  const del = new Command('delete').description('delete an app (its volumes are deleted or retained per the storage class reclaim policy) or a storage class')
    .argument('<kind>').argument('<name>')
    .action(async (kind: string, name: string) => {
      const k = kindOf(kind);
      if (k !== 'apps' && k !== 'storageclasses') throw new UsageError(`delete supports app and storageclass, not ${kind}`);
      const res = await api().delete<{ message: string }>(`${TABLES[k].path}/${encodeURIComponent(name)}`);
      process.stdout.write(`${res.message}\n`);
    });

  const scale = new Command('scale').description('change the number of instances of an app')
    .argument('<app>').argument('<instances>')
    .action(async (app: string, instances: string) => {
      if (!/^\d+$/.test(instances)) throw new UsageError(`instances must be a whole number, got ${JSON.stringify(instances)}`);
      const res = await api().post<{ message: string }>(`/v1/apps/${encodeURIComponent(app)}/scale`, { instances: Number(instances) });
      process.stdout.write(`${res.message}\n`);
    });

  const logs = new Command('logs').description('print the output of a task (e.g. pg-0)')
    .argument('<task>').option('--tail <n>', 'only the last n lines')
    .action(async (task: string, opts: { tail?: string }) => {
      const q = opts.tail ? `?tail=${encodeURIComponent(opts.tail)}` : '';
      const res = await api().get<{ logs: string }>(`/v1/tasks/${encodeURIComponent(task)}/logs${q}`);
      process.stdout.write(res.logs);
    });

  return [apply, get, describe, del, scale, logs];
}

interface DescribeApp {
  app: Row;
  tasks: { id: string; nodeId?: string; state: string; message?: string; restarts?: number; rejections?: { nodeId: string; reason: string; message: string }[] }[];
  claims: Row[];
  volumes: Row[];
  events: { time: string; reason: string; message: string; object: string }[];
}

function printDescribe(d: DescribeApp): void {
  const w = (s: string) => process.stdout.write(`${s}\n`);
  const app = d.app as { name: string; generation: number; spec: { instances: number } };
  w(`App: ${app.name}   generation ${app.generation}   instances ${app.spec.instances}`);
  w('\nTasks:');
  for (const t of d.tasks) {
    w(`  ${t.id}  ${t.state}${t.nodeId ? ` on ${t.nodeId}` : ''}${t.restarts ? `  restarts ${t.restarts}` : ''}${t.message ? `  — ${t.message}` : ''}`);
    for (const r of t.rejections ?? []) w(`      node ${r.nodeId}: ${r.reason}: ${r.message}`);
  }
  w('\nClaims:');
  for (const c of d.claims) w(`  ${String(c.id)}  ${formatBytes(c.sizeBytes as number)}  ${String(c.state)}${c.volumeId ? `  → ${String(c.volumeId)}` : ''}`);
  w('\nVolumes:');
  for (const v of d.volumes) w(`  ${String(v.id)}  ${String(v.plugin)}  node ${String(v.nodeId ?? '-')}  ${formatBytes(v.capacityBytes as number)}  ${String(v.state)}`);
  w('\nEvents:');
  for (const e of d.events.slice(-20)) w(`  ${e.time}  ${e.object}  ${e.reason}: ${e.message}`);
}
