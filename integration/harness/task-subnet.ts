/**
 * The task network's subnet for the agents of one private dockerd. Every test cluster has its own
 * dockerd, and each creates its own task network: on the same subnet, two bridges would share one
 * host route, so each dockerd gets a free /24 of its own — away from the agent's default
 * (10.213.0.0/16), which a `berth up` on this machine may be using.
 */
import { pickFreeSubnet } from '../../agent/executors/subnet';

const TEST_SUBNETS = '10.216.0.0/14';
const bySocket = new Map<string, string>();

/** The same subnet for every agent on `dockerSocket` (they share its task network). */
export function taskSubnetFor(dockerSocket: string): string {
  let subnet = bySocket.get(dockerSocket);
  if (!subnet) {
    subnet = pickFreeSubnet(TEST_SUBNETS);
    bySocket.set(dockerSocket, subnet);
  }
  return subnet;
}
