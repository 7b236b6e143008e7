import { Command } from 'commander';
import { DEFAULT_IQN_PREFIX, AttachMode, FsType, ServiceMode } from '../plugins/iscsi/driver-config';
import { defaultInitiatorIqn, parsePortal } from '../plugins/iscsi/ids';
import { startIscsiPlugin } from '../plugins/iscsi/main';
import { Initiator, parseInitiator, parseIqnPrefix, parseNodeInitiator, parsePoolSpec, parseSize } from '../plugins/iscsi/options';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`${flag} must be one of ${allowed.join(', ')}`);
  return value as T;
}

interface IscsiCommandOptions {
  nodeId: string;
  socket: string;
  stateDir: string;
  mode: string;
  pool: string[];
  portal: string;
  iqnPrefix: string;
  initiatorIqn?: string;
  initiatorAddress?: string;
  nodeInitiator: string[];
  attach: string;
  defaultFsType: string;
  defaultVolumeSize: string;
  reconcileInterval: string;
}

/** `berth plugin iscsi`: the iSCSI CSI driver (LUNs on a tgt target; node attach by iscsiadm or in user space). */
export function iscsiPluginCommand(): Command {
  return new Command('iscsi')
    .description('iSCSI CSI driver: a sparse backing file + tgt target per volume; node attach via iscsiadm or qemu-nbd + nbdfuse')
    .requiredOption('--node-id <id>', "this node's id (what NodeGetInfo reports and ControllerPublish names)")
    .requiredOption('--socket <path>', 'unix socket to serve CSI on (created 0600)')
    .option('--state-dir <dir>', 'plugin state and attach directories', '/var/lib/berth/iscsi')
    .option('--mode <mode>', 'services to run: all | controller | node', 'all')
    .option('--pool <spec>', 'NAME=PATH: directory for backing files (xfs/btrfs for reflink snapshots); repeatable, first is default', collect, [])
    .option('--portal <host:port>', 'where tgtd listens and initiators connect', '127.0.0.1:3260')
    .option('--iqn-prefix <iqn>', 'targets are PREFIX:VOLUME_ID', DEFAULT_IQN_PREFIX)
    .option('--initiator-iqn <iqn>', "this node's initiator name (default PREFIX:node.NODE_ID)")
    .option('--initiator-address <ip>', 'also bind this node by the address its initiator connects from')
    .option('--node-initiator <spec>', 'NODEID=IQN|ADDRESS[,…]: how the controller admits another node; repeatable', collect, [])
    .option('--attach <how>', 'auto | kernel | userspace', 'auto')
    .option('--default-fs-type <fs>', 'filesystem for mount volumes whose class names none: ext4 | xfs', 'ext4')
    .option('--default-volume-size <size>', 'capacity of a volume whose request names none', '1Gi')
    .option('--reconcile-interval <ms>', 're-create missing targets every N ms (0 = only at start)', '10000')
    .action(async (opts: IscsiCommandOptions) => {
      const iqnPrefix = parseIqnPrefix(opts.iqnPrefix);
      if (!parsePortal(opts.portal)) throw new Error(`invalid --portal ${JSON.stringify(opts.portal)}: expected HOST:PORT`);
      const initiatorIqn = opts.initiatorIqn ?? defaultInitiatorIqn(iqnPrefix, opts.nodeId);
      if (!initiatorIqn) throw new Error(`node id ${JSON.stringify(opts.nodeId)} cannot form an IQN: give --initiator-iqn`);
      const parsedIqn = parseInitiator(initiatorIqn);
      if (parsedIqn.kind !== 'iqn') throw new Error('--initiator-iqn must be an IQN');
      let initiatorAddress: string | undefined;
      if (opts.initiatorAddress !== undefined) {
        const a = parseInitiator(opts.initiatorAddress);
        if (a.kind !== 'address') throw new Error('--initiator-address must be an IP address');
        initiatorAddress = a.value;
      }
      const nodeInitiators = new Map<string, Initiator[]>();
      for (const spec of opts.nodeInitiator) {
        const { nodeId, initiators } = parseNodeInitiator(spec);
        nodeInitiators.set(nodeId, initiators);
      }
      const interval = Number(opts.reconcileInterval);
      if (!Number.isSafeInteger(interval) || interval < 0) throw new Error('--reconcile-interval must be a non-negative integer');
      await startIscsiPlugin({
        nodeId: opts.nodeId,
        socket: opts.socket,
        stateDir: opts.stateDir,
        mode: oneOf<ServiceMode>(opts.mode, ['all', 'controller', 'node'], '--mode'),
        pools: opts.pool.map(parsePoolSpec),
        portal: opts.portal,
        iqnPrefix,
        initiatorIqn,
        initiatorAddress,
        nodeInitiators,
        attach: oneOf<AttachMode>(opts.attach, ['auto', 'kernel', 'userspace'], '--attach'),
        defaultFsType: oneOf<FsType>(opts.defaultFsType, ['ext4', 'xfs'], '--default-fs-type'),
        defaultVolumeBytes: parseSize(opts.defaultVolumeSize),
        reconcileIntervalMs: interval,
      });
    });
}
