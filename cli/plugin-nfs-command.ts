import { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseSize } from '../plugins/local/pool-spec';
import { startNfsPlugin } from '../plugins/nfs/main';
import { parseNodeAddress } from '../plugins/nfs/node-address';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function port(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${flag} must be a port number, got ${JSON.stringify(text)}`);
  return n;
}

interface NfsCommandOptions {
  nodeId: string;
  socket: string;
  stateDir: string;
  exportRoot?: string;
  server?: string;
  ganeshaConfig?: string;
  ganeshaPidfile?: string;
  ganeshaLog?: string;
  bindAddress: string;
  nfsPort: string;
  mountPort: string;
  recoveryRoot?: string;
  nodeAddress: string[];
  defaultVolumeSize: string;
  maxVolumesPerNode: string;
}

/** `berth plugin nfs`: the NFS CSI driver (controller on the ganesha host with --export-root; node everywhere). */
export function nfsPluginCommand(): Command {
  return new Command('nfs')
    .description('NFS CSI driver: a directory (btrfs subvolume + quota) and its own nfs-ganesha export per volume; nodes mount with the kernel NFS client')
    .requiredOption('--node-id <id>', "this node's id (NodeGetInfo); an IP address id needs no --node-address entry")
    .requiredOption('--socket <path>', 'unix socket to serve CSI on (created 0600)')
    .option('--state-dir <dir>', 'plugin state', '/var/lib/berth/nfs')
    .option('--export-root <dir>', 'controller: directory to provision volumes under (btrfs: enforced quotas); without it only the node service runs')
    .option('--server <address>', 'controller: address nodes mount exports from (default: --bind-address)')
    .option('--ganesha-config <file>', 'controller: ganesha config file this plugin owns and rewrites')
    .option('--ganesha-pidfile <file>', 'controller: ganesha pidfile, for SIGHUP reloads')
    .option('--ganesha-log <file>', 'controller: ganesha log, read to confirm each reload')
    .option('--bind-address <ip>', 'controller: ganesha Bind_addr', '127.0.0.1')
    .option('--nfs-port <port>', 'controller: ganesha NFS_Port', '2049')
    .option('--mount-port <port>', 'controller: ganesha MNT_Port', '20048')
    .option('--recovery-root <dir>', 'controller: ganesha NFSv4 RecoveryRoot (default: STATE_DIR/ganesha-recovery)')
    .option('--node-address <NODEID=IP>', 'address ganesha sees for a node id; repeatable', collect, [])
    .option('--default-volume-size <size>', 'capacity of a volume whose request names none', '1Gi')
    .option('--max-volumes-per-node <n>', 'attach limit reported in NodeGetInfo (0 = none)', '0')
    .action(async (opts: NfsCommandOptions) => {
      const controller = opts.exportRoot !== undefined;
      if (controller && (!opts.ganeshaConfig || !opts.ganeshaPidfile)) {
        throw new Error('--export-root needs --ganesha-config and --ganesha-pidfile');
      }
      const recoveryRoot = opts.recoveryRoot ?? join(opts.stateDir, 'ganesha-recovery');
      if (controller) mkdirSync(recoveryRoot, { recursive: true, mode: 0o700 });
      await startNfsPlugin({
        nodeId: opts.nodeId,
        socket: opts.socket,
        stateDir: opts.stateDir,
        exportRoot: opts.exportRoot,
        serverAddress: opts.server ?? opts.bindAddress,
        ganesha: controller
          ? {
              configPath: opts.ganeshaConfig as string,
              pidFile: opts.ganeshaPidfile as string,
              logFile: opts.ganeshaLog,
              bindAddress: opts.bindAddress,
              nfsPort: port(opts.nfsPort, '--nfs-port'),
              mountPort: port(opts.mountPort, '--mount-port'),
              recoveryRoot,
            }
          : undefined,
        nodeAddresses: new Map(opts.nodeAddress.map(parseNodeAddress)),
        defaultVolumeBytes: parseSize(opts.defaultVolumeSize),
        maxVolumesPerNode: Number(opts.maxVolumesPerNode),
      });
    });
}
