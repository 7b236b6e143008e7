/**
 * Who owns a volume's root directory, set once: when the volume is first published to a task, while
 * its root is still empty (a fresh filesystem may hold lost+found). Only the root itself — never the
 * data in it, and never again once the task has written something: an operator's later chown stands,
 * and a volume cloned or restored with data keeps the owners its files came with.
 *
 * Owner: the volume's `owner`, else the task's user when its ids are known here. fsGroup (Kubernetes'
 * model): the root's group, group-writable and setgid, so files made in it belong to that group too.
 */
import { chmodSync, chownSync, readdirSync, statSync } from 'node:fs';
import { parseOwner, parseUserRef } from '../core/domain';
import { resolveNodeUser } from './executors/node-user';
import type { ExecutorKind } from './executors/executor';

export interface RootOwner {
  readonly uid: number;
  /** Absent: the root keeps its group. */
  readonly gid?: number;
}

/** Whether a volume's root holds nothing yet. */
function isFresh(root: string): boolean {
  return readdirSync(root).every((name) => name === 'lost+found');
}

/** Sets owner and fsGroup on `root` if it is still empty; returns whether it did. */
export function prepareVolumeRoot(root: string, owner: RootOwner | undefined, fsGroup: number | undefined): boolean {
  if ((owner === undefined && fsGroup === undefined) || !isFresh(root)) return false;
  const st = statSync(root);
  chownSync(root, owner?.uid ?? st.uid, fsGroup ?? owner?.gid ?? st.gid);
  // chown clears setgid on some filesystems: the mode is set after it. The owner must be able to use its root.
  let mode = (st.mode & 0o7777) | (owner ? 0o700 : 0);
  if (fsGroup !== undefined) mode |= 0o2070;
  chmodSync(root, mode);
  return true;
}

/**
 * The owner a volume root gets when its template names none: the task's user, resolved on this node
 * for the process runtime; for docker only numeric ids (a name means whatever the image's passwd says).
 */
export function taskOwner(kind: ExecutorKind, user: string, fsGroup: number | undefined): RootOwner | undefined {
  if (!user) return undefined;
  if (kind === 'process') {
    const u = resolveNodeUser(user, fsGroup);
    return { uid: u.uid, gid: u.gid };
  }
  const ref = parseUserRef(user);
  return typeof ref !== 'string' && ref.kind === 'ids' ? ref : undefined;
}

/** A volume's `owner` ("uid[:gid]"); undefined when empty. @throws Error when it is malformed */
export function volumeOwner(owner: string): RootOwner | undefined {
  if (!owner) return undefined;
  const parsed = parseOwner(owner);
  if (typeof parsed === 'string') throw new Error(`volume owner ${JSON.stringify(owner)}: ${parsed}`);
  return parsed;
}
