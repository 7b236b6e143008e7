import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

/**
 * Real NFS for the NFS plugin's integration tests: rpcbind in a private network namespace (so port 111
 * never opens on the host; ganesha reaches it through /run/rpcbind.sock), nfs-ganesha on 127.0.0.1
 * started with the config file the plugin wrote, and the user-space libnfs client (this machine's
 * kernel has no NFS client). Every process is started by us with setsid and stopped by its PID.
 */

export const NFS_PORT = 2049;
export const MOUNT_PORT = 20048;
const RPCBIND_SOCK = '/run/rpcbind.sock';

export interface Daemon {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
}

function startDaemon(name: string, command: string, args: string[]): Daemon {
  const child = spawn(command, args, { detached: true, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => undefined);
  return { name, child, exited };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. Only ever our own child's PID. */
export async function stopDaemon(d: Daemon | undefined, graceMs = 5000): Promise<void> {
  if (!d || d.child.exitCode !== null || d.child.signalCode !== null || d.child.pid === undefined) return;
  d.child.kill('SIGTERM');
  const timer = setTimeout(() => d.child.kill('SIGKILL'), graceMs);
  await d.exited;
  clearTimeout(timer);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, exited: Promise<void>, timeoutMs = 15_000): Promise<void> {
  let gone = false;
  exited.then(
    () => {
      gone = true;
    },
    () => undefined,
  );
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    if (gone) throw new Error(`${what} exited before it was ready`);
    await sleep(50);
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms`);
}

export async function startRpcbind(): Promise<Daemon> {
  spawnSync('mkdir', ['-p', '/run/rpcbind']);
  if (existsSync(RPCBIND_SOCK)) {
    const live = await new Promise<boolean>((resolve) => {
      const s = connect(RPCBIND_SOCK);
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (live) throw new Error(`an rpcbind is already serving ${RPCBIND_SOCK}; stop it first (nobody else should run NFS here)`);
    unlinkSync(RPCBIND_SOCK);
  }
  const d = startDaemon('rpcbind', 'unshare', ['-n', 'sh', '-c', 'ip link set lo up; exec rpcbind -f']);
  await waitFor('rpcbind', () => existsSync(RPCBIND_SOCK), d.exited);
  return d;
}

export function removeRpcbindSocket(): void {
  rmSync(RPCBIND_SOCK, { force: true });
}

export async function startGanesha(config: string, log: string, pidFile: string): Promise<Daemon> {
  if (await portOpen(NFS_PORT)) throw new Error(`something already listens on 127.0.0.1:${NFS_PORT}`);
  const d = startDaemon('ganesha', 'ganesha.nfsd', ['-F', '-f', config, '-L', log, '-p', pidFile, '-N', 'NIV_EVENT']);
  await waitFor('ganesha', async () => (await portOpen(NFS_PORT)) && (await portOpen(MOUNT_PORT)) && existsSync(pidFile), d.exited);
  return d;
}

export const nfsUrl = (path: string): string => `nfs://127.0.0.1${path}?nfsport=${NFS_PORT}&mountport=${MOUNT_PORT}`;

export interface NfsResult {
  ok: boolean;
  stdout: Buffer;
  stderr: string;
}

/** Options for a libnfs call: `from` makes the client connect from that loopback address (needs the shim). */
export interface ClientOptions {
  from?: string;
  shim?: string;
}

function libnfs(tool: string, args: string[], opts: ClientOptions = {}): NfsResult {
  const env = { ...process.env };
  if (opts.from) {
    if (!opts.shim) throw new Error('a source address needs the source-address shim');
    env.LD_PRELOAD = opts.shim;
    env.BERTH_SRC_ADDR = opts.from;
  }
  const r = spawnSync(tool, args, { env, maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
  return { ok: r.status === 0, stdout: r.stdout ?? Buffer.alloc(0), stderr: String(r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** Copies a local file to a path on the server over NFSv3 (nfs-cp refuses an existing destination). */
export const nfsPut = (local: string, remotePath: string, opts?: ClientOptions): NfsResult => libnfs('nfs-cp', [local, nfsUrl(remotePath)], opts);
export const nfsCat = (remotePath: string, opts?: ClientOptions): NfsResult => libnfs('nfs-cat', [nfsUrl(remotePath)], opts);
export const nfsLs = (remotePath: string, opts?: ClientOptions): NfsResult => libnfs('nfs-ls', [nfsUrl(remotePath)], opts);

/**
 * An LD_PRELOAD shim that gives a client's IPv4 sockets the source address in BERTH_SRC_ADDR (bind of
 * the wildcard address is rewritten; connect of an unbound socket binds first). With it, libnfs on this
 * one machine connects as 127.0.0.2, 127.0.0.3, … — what ganesha's CLIENT lists see from other nodes.
 */
// biome-ignore lint/complexity/noUselessStringRaw: C source: a backslash added later ("\n") must reach the compiler as written
const SHIM_SOURCE = String.raw`
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
static int (*real_bind)(int, const struct sockaddr *, socklen_t);
static int (*real_connect)(int, const struct sockaddr *, socklen_t);
static int want(struct in_addr *a) { const char *s = getenv("BERTH_SRC_ADDR"); return s && inet_pton(AF_INET, s, a) == 1; }
int bind(int fd, const struct sockaddr *sa, socklen_t len) {
  if (!real_bind) real_bind = dlsym(RTLD_NEXT, "bind");
  struct in_addr a;
  if (sa && sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in) && want(&a)) {
    struct sockaddr_in copy; memcpy(&copy, sa, sizeof copy);
    if (copy.sin_addr.s_addr == htonl(INADDR_ANY)) copy.sin_addr = a;
    return real_bind(fd, (struct sockaddr *)&copy, sizeof copy);
  }
  return real_bind(fd, sa, len);
}
int connect(int fd, const struct sockaddr *sa, socklen_t len) {
  if (!real_connect) real_connect = dlsym(RTLD_NEXT, "connect");
  if (!real_bind) real_bind = dlsym(RTLD_NEXT, "bind");
  struct in_addr a;
  if (sa && sa->sa_family == AF_INET && want(&a)) {
    struct sockaddr_in cur; socklen_t cl = sizeof cur;
    if (getsockname(fd, (struct sockaddr *)&cur, &cl) == 0 && cur.sin_family == AF_INET && cur.sin_port == 0) {
      struct sockaddr_in me; memset(&me, 0, sizeof me); me.sin_family = AF_INET; me.sin_addr = a;
      real_bind(fd, (struct sockaddr *)&me, sizeof me);
    }
  }
  return real_connect(fd, sa, len);
}
`;

/** Builds the shim into `dir`; returns its path, or undefined (with the reason) when no C compiler works. */
export function buildSourceAddressShim(dir: string): { path?: string; reason?: string } {
  const src = join(dir, 'srcaddr.c');
  const out = join(dir, 'srcaddr.so');
  writeFileSync(src, SHIM_SOURCE);
  const r = spawnSync('cc', ['-shared', '-fPIC', '-O2', '-o', out, src, '-ldl'], { encoding: 'utf8' });
  if (r.status !== 0) return { reason: `cannot build the source-address shim with cc: ${r.stderr || r.error}` };
  return { path: out };
}
