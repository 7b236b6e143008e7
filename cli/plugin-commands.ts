import { Command } from 'commander';
import { UsageError } from './output';
import { parsePoolSpec, parseSize, PoolSpec } from '../plugins/local/pool-spec';
import { startLocalPlugin } from '../plugins/local/main';
import { nfsPluginCommand } from './plugin-nfs-command';
import { pluginRegisterCommand } from './plugin-register-command';
import { iscsiPluginCommand } from './plugin-iscsi-command';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** A malformed flag value is bad input (exit 2), not a failure of the plugin. */
function asUsage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function wholeNumber(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} must be a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

export function pluginCommands(): Command {
  const plugin = new Command('plugin').description('run a CSI plugin of Berth on this node, or register any CSI plugin with the agent');
  plugin
    .command('local')
    .description('local CSI driver: btrfs pools (subvolume + quota per volume, snapshots), block volumes on loop devices')
    .requiredOption('--node-id <id>', "this node's id (topology key berth.io/node)")
    .requiredOption(
      '--pool <spec>',
      'NAME=PATH (mounted btrfs), NAME=file:PATH:SIZE (loop-backed btrfs image), NAME=dir:PATH (unenforced); repeatable',
      collect,
      [],
    )
    .requiredOption('--socket <path>', 'unix socket to serve CSI on (created 0600)')
    .option('--state-dir <dir>', 'plugin state and file-pool mounts', '/var/lib/berth/local')
    .option('--default-volume-size <size>', 'capacity of a volume whose request names none', '1Gi')
    .option('--max-volumes-per-node <n>', 'attach limit reported in NodeGetInfo (0 = none)', '0')
    .action(async (opts: { nodeId: string; pool: string[]; socket: string; stateDir: string; defaultVolumeSize: string; maxVolumesPerNode: string }) => {
      const pools: PoolSpec[] = opts.pool.map((spec) => asUsage(() => parsePoolSpec(spec)));
      await startLocalPlugin({
        nodeId: opts.nodeId,
        pools,
        socket: opts.socket,
        stateDir: opts.stateDir,
        defaultVolumeBytes: asUsage(() => parseSize(opts.defaultVolumeSize)),
        maxVolumesPerNode: wholeNumber(opts.maxVolumesPerNode, '--max-volumes-per-node'),
      });
    });
  plugin.addCommand(pluginRegisterCommand());
  plugin.addCommand(nfsPluginCommand());
  plugin.addCommand(iscsiPluginCommand());
  return plugin;
}
