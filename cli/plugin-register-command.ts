import { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readRegistrations } from '../agent/plugin-registrations';
import { csiDriverNameProblem } from '../core/manifests';
import { writeFileAtomic } from '../lib/files/atomic-file';
import { CsiClient } from '../volumes/csi-client/client';
import { UsageError } from './output';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `fast` or `fast:pool=fast,tier=ssd`: a pool name and the GetCapacity/CreateVolume parameters that select it. */
function parsePool(spec: string): { name: string; parameters: Record<string, string> } {
  const [name, rest] = spec.split(/:(.*)/s, 2);
  const parameters: Record<string, string> = {};
  for (const pair of (rest ?? '').split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--pool ${JSON.stringify(spec)}: expected NAME or NAME:key=value,…`);
    parameters[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { name, parameters };
}

/**
 * `berth plugin register`: tells this node's agent about a CSI plugin — Berth's or any vendor's — by
 * writing its registration file (the agent reads the directory on every report). With --check the
 * plugin must answer GetPluginInfo with that name and Probe ready first.
 */
export function pluginRegisterCommand(): Command {
  return new Command('register')
    .description("register a CSI plugin (any CSI driver) with this node's agent")
    .requiredOption('--name <driver>', 'the CSI driver name the plugin reports (GetPluginInfo)')
    .requiredOption('--endpoint <endpoint>', 'unix:///path/to/csi.sock or host:port')
    .option('--pool <spec>', 'NAME or NAME:key=value,… — a pool and the parameters that select it; repeatable', collect, [])
    .option('--plugin-dir <dir>', "the agent's registration directory", '/var/lib/berth/agent/plugins')
    .option('--check', 'refuse unless the plugin answers as --name and is ready')
    .action(async (opts: { name: string; endpoint: string; pool: string[]; pluginDir: string; check?: boolean }) => {
      const problem = csiDriverNameProblem(opts.name);
      if (problem) throw new UsageError(problem);
      const pools = opts.pool.map(parsePool);
      if (opts.check) {
        const client = new CsiClient(opts.endpoint, { timeoutMs: 10_000 });
        try {
          const info = await client.identity('GetPluginInfo', {});
          if (info.name !== opts.name) throw new UsageError(`the plugin at ${opts.endpoint} reports itself as ${info.name}, not ${opts.name}`);
          const probe = await client.identity('Probe', {});
          if (probe.ready?.value === false) throw new Error(`the plugin at ${opts.endpoint} is not ready`);
        } finally {
          client.close();
        }
      }
      mkdirSync(opts.pluginDir, { recursive: true, mode: 0o700 });
      const file = join(opts.pluginDir, `${opts.name}.json`);
      writeFileAtomic(file, `${JSON.stringify({ endpoint: opts.endpoint, pools }, null, 2)}\n`);
      // Read back through the agent's own parser, so what was written is what the agent will accept.
      const { problems } = readRegistrations(opts.pluginDir);
      const mine = problems.find((p) => p.file === file);
      if (mine) throw new UsageError(`registration rejected: ${mine.problem}`);
      process.stdout.write(`registered ${opts.name} (${opts.endpoint}) in ${file}\n`);
    });
}
