/**
 * A task's user as this node knows it (the process runtime runs tasks on the node itself): a name or a
 * uid is looked up in the node's user database with getent(1), so NSS sources (LDAP, sssd) count too.
 * Numeric ids follow Docker's `--user` rules: "uid" takes the primary group and supplementary groups
 * of the uid's entry when it has one (gid 0 and no groups when it has none); "uid:gid" is taken as is.
 */
import { spawnSync } from 'node:child_process';
import { parseUserRef } from '../../core/domain';

export interface NodeUser {
  readonly uid: number;
  readonly gid: number;
  /** Supplementary groups: the user's own (from the group database), then fsGroup. */
  readonly groups: readonly number[];
  /** Home directory from the user's entry, if it has one. */
  readonly home?: string;
}

interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

function getent(database: string, key: string): string | undefined {
  const r = spawnSync('getent', [database, key], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) throw new Error(`getent ${database} ${key}: ${r.error.message}`);
  return r.status === 0 ? r.stdout.split('\n')[0] : undefined;
}

function passwdEntry(key: string): PasswdEntry | undefined {
  const line = getent('passwd', key);
  const [name, , uid, gid, , home] = line?.split(':') ?? [];
  if (!name || uid === undefined || gid === undefined) return undefined;
  return { name, uid: Number(uid), gid: Number(gid), home: home ?? '' };
}

/** Every group the user is a member of, primary group included (`getent initgroups`, else `id -G`). */
function memberGroups(entry: PasswdEntry): number[] {
  const line = getent('initgroups', entry.name);
  const ids = line ? line.trim().split(/\s+/).slice(1) : (spawnSync('id', ['-G', '--', entry.name], { encoding: 'utf8' }).stdout ?? '').trim().split(/\s+/);
  return [entry.gid, ...ids.filter((g) => /^\d+$/.test(g)).map(Number)];
}

function unique(ids: readonly number[]): number[] {
  return [...new Set(ids)];
}

/** @throws Error with a message saying which user this node does not know */
export function resolveNodeUser(user: string, fsGroup?: number): NodeUser {
  const ref = parseUserRef(user);
  if (typeof ref === 'string') throw new Error(`user ${JSON.stringify(user)}: ${ref}`);
  const extra = fsGroup === undefined ? [] : [fsGroup];
  if (ref.kind === 'name') {
    const entry = passwdEntry(ref.name);
    if (!entry) throw new Error(`user ${JSON.stringify(ref.name)} does not exist on this node (getent passwd ${ref.name} found nothing)`);
    return { uid: entry.uid, gid: entry.gid, groups: unique([...memberGroups(entry), ...extra]), ...(entry.home ? { home: entry.home } : {}) };
  }
  if (ref.gid !== undefined) return { uid: ref.uid, gid: ref.gid, groups: unique(extra) };
  const entry = passwdEntry(String(ref.uid));
  if (!entry) return { uid: ref.uid, gid: 0, groups: unique(extra) };
  return { uid: ref.uid, gid: entry.gid, groups: unique([...memberGroups(entry), ...extra]), ...(entry.home ? { home: entry.home } : {}) };
}
