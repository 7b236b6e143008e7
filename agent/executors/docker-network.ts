/**
 * The task network: a docker bridge network Berth owns, on a subnet of its own, that every docker task
 * joins. Containers on it get an address the node routes to (health probes reach it directly, other
 * tasks reach it by address) and their ports can be published on the node.
 *
 * The bridge interface keeps docker's generated name (br-<network id>): a fixed one would clash when
 * several dockerds run on one host (tests, `berth up` beside a system dockerd).
 */
import type Docker from 'dockerode';
import type { NetworkInspectInfo } from 'dockerode';
import { httpStatus, dockerMessage } from './docker-errors';
import { formatSubnet, parseSubnet, routeOverlap, type HostRoute } from './subnet';

export const DEFAULT_TASK_NETWORK = 'berth';
/** A private range home and office networks rarely use. */
export const DEFAULT_TASK_SUBNET = '10.213.0.0/16';
/** `--docker-network none`: no task network; containers get a loopback-only namespace (probes enter it with nsenter). */
export const NO_TASK_NETWORK = 'none';

export const LABEL_NETWORK = 'berth.network';

export interface TaskNetworkOptions {
  readonly name: string;
  readonly subnet: string;
  /** The host's routes (tests give their own). */
  readonly routes?: readonly HostRoute[];
}

function subnetsOf(info: NetworkInspectInfo): string[] {
  return (info.IPAM?.Config ?? []).map((c) => c.Subnet).filter((s): s is string => Boolean(s));
}

async function inspect(docker: Docker, name: string): Promise<NetworkInspectInfo | undefined> {
  try {
    const info = await docker.getNetwork(name).inspect();
    // Docker also matches an id prefix: only a network of exactly this name counts.
    return info.Name === name ? info : undefined;
  } catch (error) {
    if (httpStatus(error) === 404) return undefined;
    throw error;
  }
}

/** Accepts an existing network only when it is a bridge on exactly the configured subnet. */
function check(info: NetworkInspectInfo, name: string, subnet: string): void {
  const subnets = subnetsOf(info);
  if (info.Driver !== 'bridge' || subnets.length !== 1 || subnets[0] !== subnet)
    throw new Error(
      `docker network ${name} exists as a ${info.Driver} network on ${subnets.join(', ') || 'no subnet'}, not a bridge on ${subnet}: ` +
        `remove it (docker network rm ${name}) or start the agent with --docker-subnet ${subnets[0] ?? '<cidr>'} (or another --docker-network)`,
    );
}

/**
 * Creates the task network on this dockerd when it is missing; idempotent, also when agents sharing the
 * dockerd start together. Answers the network's name (what containers get as their network mode).
 * @throws Error when a network of that name has another driver or subnet, or the subnet overlaps a host route.
 */
export async function ensureTaskNetwork(docker: Docker, options: TaskNetworkOptions): Promise<string> {
  const { name } = options;
  const parsed = parseSubnet(options.subnet);
  if (!parsed) throw new Error(`--docker-subnet ${options.subnet} is not an IPv4 subnet such as ${DEFAULT_TASK_SUBNET}`);
  const subnet = formatSubnet(parsed);
  const existing = await inspect(docker, name);
  if (existing) {
    check(existing, name, subnet);
    return name;
  }
  const clash = routeOverlap(parsed, options.routes);
  if (clash)
    throw new Error(
      `--docker-subnet ${subnet} overlaps the host's route to ${formatSubnet(clash.subnet)} (dev ${clash.iface}): choose a subnet this host does not use`,
    );
  try {
    await docker.createNetwork({
      Name: name,
      Driver: 'bridge',
      CheckDuplicate: true,
      IPAM: { Driver: 'default', Config: [{ Subnet: subnet }] },
      Labels: { [LABEL_NETWORK]: 'tasks' },
    });
  } catch (error) {
    // Another agent on this dockerd created it meanwhile (409 for the name, or its pool overlaps ours).
    const raced = await inspect(docker, name);
    if (!raced) throw new Error(`could not create docker network ${name} on ${subnet}: ${dockerMessage(error)}`);
    check(raced, name, subnet);
  }
  return name;
}
