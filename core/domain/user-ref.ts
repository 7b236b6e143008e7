/**
 * Who a task runs as (`spec.user` of an App) and who owns a volume's root (`owner` of a volume):
 * a user name, or numeric ids "uid" / "uid:gid". Names are resolved where the task runs (the
 * process runtime: the node's user database; docker: the image's /etc/passwd), so only the form
 * is checked here.
 */

/** The largest uid or gid accepted: 2^31 - 1 (the kernel's ids are 32-bit; -1 means "no change" to it). */
export const MAX_ID = 2 ** 31 - 1;

/** POSIX-portable user names as useradd accepts them (letters, digits, '_', '.', '-', a final '$'), not starting with '-'. */
const USER_NAME = /^[a-z_][a-z0-9_.-]{0,30}\$?$/i;
const IDS = /^(\d+)(?::(\d+))?$/;

export type UserRef = { readonly kind: 'name'; readonly name: string } | { readonly kind: 'ids'; readonly uid: number; readonly gid?: number };

/** A numeric uid/gid, or undefined when `text` is not one in 0..MAX_ID. */
export function parseId(text: string): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const id = Number(text);
  return id <= MAX_ID ? id : undefined;
}

/** "postgres", "999" or "999:999"; a string saying what is wrong otherwise. */
export function parseUserRef(text: string): UserRef | string {
  const ids = IDS.exec(text);
  if (ids) {
    const uid = parseId(ids[1] as string);
    const gid = ids[2] === undefined ? undefined : parseId(ids[2]);
    if (uid === undefined) return `uid ${ids[1]} is out of range (0 to ${MAX_ID})`;
    if (ids[2] !== undefined && gid === undefined) return `gid ${ids[2]} is out of range (0 to ${MAX_ID})`;
    return gid === undefined ? { kind: 'ids', uid } : { kind: 'ids', uid, gid };
  }
  if (USER_NAME.test(text)) return { kind: 'name', name: text };
  return 'expected a user name (letters, digits, "_", ".", "-"; at most 32 characters; not starting with a digit or "-") or uid[:gid] with numbers from 0 to 2147483647';
}

/** Numeric "uid[:gid]" only (a volume's owner must mean the same on every node and in every image). */
export function parseOwner(text: string): { readonly uid: number; readonly gid?: number } | string {
  const ref = parseUserRef(text);
  if (typeof ref === 'string') return ref;
  if (ref.kind === 'name') return 'expected numeric uid[:gid] like "999:999", not a name (a name may mean another uid on another node or in an image)';
  return ref.gid === undefined ? { uid: ref.uid } : { uid: ref.uid, gid: ref.gid };
}
