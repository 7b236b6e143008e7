import { IQN, IQN_PREFIX, isIpAddress } from './ids';

/** One way a node's initiator is recognised by the target: its IQN, or the address it connects from. */
export type Initiator = { kind: 'iqn'; value: string } | { kind: 'address'; value: string };

export interface PoolSpec {
  name: string;
  path: string;
}

const POOL_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Pool paths end up in tgtadm's `path=` parameter: no commas, spaces, '=' or quotes. */
const SAFE_PATH = /^\/[A-Za-z0-9_./-]*$/;
const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Parses sizes such as 512M, 4G, 1Gi, 1048576. */
export function parseSize(text: string): number {
  const m = /^(\d+)([kmgt]?)(i?b?)?$/i.exec(text.trim());
  if (!m) throw new Error(`invalid size ${JSON.stringify(text)} (expected e.g. 512M, 4G, 1Gi)`);
  return Number(m[1]) * UNITS[m[2].toLowerCase()];
}

/** `NAME=PATH`: a directory holding the volumes' backing files (xfs or btrfs for reflink snapshots). */
export function parsePoolSpec(text: string): PoolSpec {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new Error(`invalid pool ${JSON.stringify(text)}: expected NAME=PATH`);
  const name = text.slice(0, eq);
  const path = text.slice(eq + 1).replace(/\/+$/, '') || '/';
  if (!POOL_NAME.test(name)) throw new Error(`invalid pool name ${JSON.stringify(name)}: lower-case letters, digits and '-'`);
  if (!SAFE_PATH.test(path) || path.split('/').includes('..')) {
    throw new Error(`invalid pool path ${JSON.stringify(path)}: absolute, letters, digits, '_', '.', '-', '/' only`);
  }
  return { name, path };
}

/** `IQN` or `ADDRESS`; used for --initiator-address and each element of a --node-initiator value. */
export function parseInitiator(text: string): Initiator {
  if (text.startsWith('iqn.')) {
    if (!IQN.test(text)) throw new Error(`invalid initiator IQN ${JSON.stringify(text)}`);
    return { kind: 'iqn', value: text };
  }
  if (isIpAddress(text)) return { kind: 'address', value: text };
  throw new Error(`invalid initiator ${JSON.stringify(text)}: expected an IQN (iqn.YYYY-MM.domain:name) or an IP address`);
}

/**
 * `NODEID=INITIATOR[,INITIATOR…]`: how the controller recognises a node's initiator when it publishes a
 * volume to that node. An IQN binds `--initiator-name`, an address binds `--initiator-address`.
 */
export function parseNodeInitiator(text: string): { nodeId: string; initiators: Initiator[] } {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new Error(`invalid node initiator ${JSON.stringify(text)}: expected NODEID=IQN|ADDRESS[,…]`);
  const nodeId = text.slice(0, eq);
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(nodeId)) throw new Error(`invalid node id ${JSON.stringify(nodeId)}`);
  const initiators = text
    .slice(eq + 1)
    .split(',')
    .filter(Boolean)
    .map(parseInitiator);
  if (initiators.length === 0) throw new Error(`node ${nodeId}: no initiator given`);
  return { nodeId, initiators };
}

export function parseIqnPrefix(text: string): string {
  if (!IQN_PREFIX.test(text)) throw new Error(`invalid IQN prefix ${JSON.stringify(text)}: expected iqn.YYYY-MM.reversed.domain`);
  return text;
}

export const initiatorKey = (i: Initiator): string => `${i.kind}:${i.value}`;
