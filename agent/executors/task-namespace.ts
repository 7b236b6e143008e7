/**
 * A process task's own PID and mount namespace (util-linux unshare, setpriv, nsenter): its command
 * sees itself and its children only, so a pid file it left (postgres' postmaster.pid) never names a
 * live process of another task or of an earlier run, and its /tmp is a tmpfs of its own. When the
 * namespace's init exits the kernel kills whatever is left in it: a task ends as a whole.
 *
 * PID 1 is a shell (the init script below) that runs the command as a child, not by exec: an init
 * ignores signals it has no handler for, and the command must get the stop signal like any process.
 * Stop signals reach every process through the task's cgroup (or its process group), so the init
 * forwards nothing; it only must not die of them, and exit with the command's status:
 * - dash catches SIGINT under `sh -c` and, once its child has ended, exits 130 whatever the child's
 *   status was; so the init traps INT and TERM itself.
 * - unshare(1) blocks SIGTERM/SIGINT while it waits for the init, but dies of the other stop signals
 *   (QUIT, HUP, USR1, USR2), which would end the wrapper's wait before the task ended: it runs with
 *   them ignored (`env --ignore-signal`), and the init gives the command default dispositions back
 *   (`env --default-signal`; a shell cannot undo a disposition it inherited as ignored).
 *
 * Paths the task must still see under the host's /tmp (its volumes' publish paths, working directory,
 * HOME — test clusters keep their state there) are bound into the private /tmp at the same place.
 * Mount propagation is `slave`: unmounts on the node reach the task's namespace where the node's
 * mounts are shared (systemd's default, and the agent's state directory everywhere: shared-mount.ts);
 * a private mount of the node keeps its copy in the namespace until the task exits.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { NodeUser } from './node-user';

const UNSHARE = ['unshare', '--pid', '--fork', '--mount-proc', '--propagation', 'slave'];
/** Stop signals (core/domain STOP_SIGNALS) that unshare(1) does not block itself; WINCH is ignored by default. */
const SHIELD = ['env', '--ignore-signal=HUP,QUIT,USR1,USR2'];

/**
 * $1 the directory the private /tmp is built in, $2 uid ('' = keep root), $3 gid, $4 supplementary
 * groups (comma-separated), $5 how many paths to keep follow; then those paths, then the command.
 */
const INIT = [
  'stage=$1; uid=$2; gid=$3; groups=$4; n=$5; shift 5',
  'fail() { echo "berth: $*" >&2; exit 125; }',
  'trap : INT TERM',
  'here=$(pwd -P) || fail "no working directory"',
  'mount -t tmpfs -o mode=1777,nosuid,nodev berth-tmp "$stage" || fail "could not mount a private /tmp"',
  'while [ "$n" -gt 0 ]; do',
  '  p=$1; shift; n=$((n - 1)); at=$stage/$(printf %s "$p" | cut -c6-)',
  '  if [ -d "$p" ]; then mkdir -p "$at"; else mkdir -p "$(dirname "$at")" && : > "$at"; fi',
  // Not --rbind: the stage itself may lie inside a kept path (the task's directory), and must not be copied into itself.
  '  mount --bind "$p" "$at" || fail "could not keep $p visible in the private /tmp"',
  'done',
  'mount --move "$stage" /tmp || fail "could not put the private /tmp in place"',
  // The working directory as seen in this namespace (under /tmp, the copy bound into the private one): hooks enter it too.
  'cd "$here" || fail "could not enter $here"',
  'if [ -n "$uid" ]; then',
  '  if [ -n "$groups" ]; then set -- setpriv --reuid="$uid" --regid="$gid" --groups="$groups" -- "$@"',
  '  else set -- setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@"; fi',
  'fi',
  'env --default-signal -- "$@"',
  'exit $?',
].join('\n');

/** Why this node cannot give tasks namespaces of their own (missing tools, no CAP_SYS_ADMIN), or undefined when it can. */
export function namespaceProblem(): string | undefined {
  const r = spawnSync(UNSHARE[0] as string, [...UNSHARE.slice(1), 'true'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return `${UNSHARE.join(' ')}: ${r.error.message}`;
  if (r.status !== 0) return `${UNSHARE.join(' ')} true failed: ${(r.stderr || `exit ${r.status}`).trim()}`;
  const setpriv = spawnSync('setpriv', ['--help'], { timeout: 10_000 });
  if (setpriv.error) return `setpriv: ${setpriv.error.message}`;
  // coreutils 8.31 or later.
  const env = spawnSync(SHIELD[0] as string, [...SHIELD.slice(1), 'env', '--default-signal', 'true'], { encoding: 'utf8', timeout: 10_000 });
  if (env.error || env.status !== 0)
    return `${SHIELD.join(' ')} env --default-signal true failed: ${(env.stderr || env.error?.message || `exit ${env.status}`).trim()}`;
  return undefined;
}

/** Paths under /tmp among `paths`, outermost only (a path inside a kept one comes with it). */
export function pathsToKeep(paths: readonly string[]): string[] {
  const under = [...new Set(paths.filter((p) => p.startsWith('/tmp/')))].sort((a, b) => a.length - b.length);
  return under.filter((p, i) => !under.slice(0, i).some((outer) => p.startsWith(`${outer}/`)));
}

/** argv that runs `command` as PID 1's child in new namespaces, with a private /tmp built in `stage`, as `user` if given. */
export function isolatedCommand(command: readonly string[], stage: string, keep: readonly string[], user?: NodeUser): string[] {
  const ids = user ? [String(user.uid), String(user.gid), user.groups.join(',')] : ['', '', ''];
  return [...SHIELD, ...UNSHARE, '/bin/sh', '-c', INIT, 'berth-init', stage, ...ids, String(keep.length), ...keep, ...command];
}

/** Drops to `user` (for a command run beside the task, e.g. a hook), or nothing without one. */
export function asUser(user: NodeUser | undefined): string[] {
  if (!user) return [];
  const groups = user.groups.length > 0 ? [`--groups=${user.groups.join(',')}`] : ['--clear-groups'];
  return ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, ...groups, '--'];
}

/** argv that runs `command` in the task's working directory inside the namespaces of the init with host pid `initPid`. */
export function enterCommand(initPid: number, command: readonly string[], user?: NodeUser): string[] {
  // `--wd` without a path: the init's, which is the task's (a path would be opened before entering,
  // and a directory of the node's mount namespace is unreachable inside: getcwd() fails).
  return ['nsenter', `--target=${initPid}`, '--pid', '--mount', '--wd', '--', ...asUser(user), ...command];
}

/** The host pid of the PID-namespace init among `pids`: the process that is pid 1 in a namespace below ours. */
export function namespaceInit(pids: readonly number[]): number | undefined {
  for (const pid of pids) {
    try {
      const line = readFileSync(`/proc/${pid}/status`, 'utf8')
        .split('\n')
        .find((l) => l.startsWith('NSpid:'));
      const ids = line?.split(/\s+/).slice(1).filter(Boolean) ?? [];
      if (ids.length >= 2 && ids[ids.length - 1] === '1') return pid;
    } catch {
      /* gone */
    }
  }
  return undefined;
}
