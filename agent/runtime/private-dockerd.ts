/**
 * A private Docker engine for `berth up`, integration tests and the bench: its own socket, data root, exec root
 * and pid file under one directory, so it never touches a system dockerd and two can run side by side.
 *
 * Networking: started with `--bridge=none --iptables=false --ip-masq=false`. The *default* bridge would
 * create the host-wide `docker0` interface, and iptables rules (and a FORWARD policy of DROP) shared by
 * every dockerd on the machine — two private daemons would fight over them, and they outlive the test.
 * User-defined bridge networks still work without either: the agent creates the task network
 * (agent/executors/docker-network.ts, a `br-<id>` interface per daemon on a subnet of its own),
 * containers on it reach each other and the host reaches them by address, and docker-proxy (not
 * iptables) publishes their ports. What is lost is outbound NAT, which a private daemon has no use for.
 * `stop()` removes those networks, so no bridge or route outlives the daemon.
 *
 * The image: no registry here, so `busybox:local` is imported from a rootfs built of the static
 * /bin/busybox (busybox-static) plus one symlink per applet — except `busybox` itself, which would
 * overwrite the binary with a link to itself. `ENV PATH=/bin` is needed or `sh` is not found.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, symlinkSync, copyFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { cleanupUnder } from './teardown';

export const BUSYBOX_IMAGE = 'busybox:local';

export interface DockerdHandle {
  readonly dir: string;
  readonly socket: string;
  readonly pid: number;
  readonly docker: Docker;
  /** Measured: spawn → first successful ping, and the busybox import. */
  readonly timings: { readonly readyMs: number; readonly importMs: number };
  /** dockerd's own log (stdout + stderr). */
  log(): string;
  /** Removes every container, stops dockerd (TERM, then KILL), kills its leftovers, unmounts and removes `dir`. Idempotent. */
  stop(): Promise<void>;
}

export type Availability = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** The networks every dockerd has; the rest were created on this one (the task network) and go with it. */
const PREDEFINED_NETWORKS = new Set(['bridge', 'host', 'none']);

const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** True for an ELF file without a PT_INTERP program header, i.e. statically linked (runs in an empty rootfs). */
function isStaticElf(path: string): boolean {
  const b = readFileSync(path);
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) return false; // 64-bit little-endian ELF
  const phoff = Number(b.readBigUInt64LE(0x20));
  const phentsize = b.readUInt16LE(0x36);
  const phnum = b.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) if (b.readUInt32LE(phoff + i * phentsize) === 3 /* PT_INTERP */) return false;
  return true;
}

function staticBusybox(): string | undefined {
  return BUSYBOX_CANDIDATES.find((p) => existsSync(p) && isStaticElf(p));
}

/** Whether a private dockerd can run here; `reason` is written for a mocha skip message. */
export function dockerAvailable(): Availability {
  if (process.platform !== 'linux') return { ok: false, reason: 'dockerd tests need Linux' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'dockerd tests need root (a private dockerd mounts and creates cgroups)' };
  if (!onPath('dockerd')) return { ok: false, reason: 'no dockerd binary in PATH (Debian: apt-get install docker.io)' };
  if (!onPath('tar')) return { ok: false, reason: 'no tar binary in PATH (needed to import busybox:local)' };
  if (!staticBusybox())
    return { ok: false, reason: `no statically linked busybox at ${BUSYBOX_CANDIDATES.join(' or ')} (Debian: apt-get install busybox-static)` };
  return { ok: true };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill(0); it is gone for our purposes.
  try {
    return !/\)\s+Z\s/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pidAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/** Pids whose command line mentions `dir`: the daemon's containerd and shims. Only ours: the dir is private. */
function pidsMentioning(dir: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) out.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** Builds the busybox rootfs under `workDir` and imports it as `tag`. Returns the elapsed ms. */
export async function importBusybox(docker: Docker, workDir: string, tag = BUSYBOX_IMAGE): Promise<number> {
  const busybox = staticBusybox();
  if (!busybox) throw new Error('no statically linked busybox found; apt-get install busybox-static');
  const rootfs = join(workDir, 'busybox-rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  copyFileSync(busybox, join(rootfs, 'bin', 'busybox'));
  const applets = spawnSync(busybox, ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  for (const applet of applets) {
    if (applet === 'busybox' || applet.includes('/')) continue;
    const link = join(rootfs, 'bin', applet);
    try {
      readlinkSync(link);
    } catch {
      symlinkSync('busybox', link);
    }
  }
  mkdirSync(join(rootfs, 'tmp'), { recursive: true });
  const started = Date.now();
  const tar = spawn('tar', ['-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [repo, version] = tag.split(':');
  const response = await docker.importImage(tar.stdout, { repo, tag: version ?? 'latest', changes: ['ENV PATH=/bin', 'CMD ["/bin/sh"]'] });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(response, (err: Error | null, events: Array<{ error?: string }>) => {
      const failed = err ?? events.find((e) => e.error);
      if (failed) reject(new Error(`docker import of ${tag} failed: ${err ? err.message : (failed as { error?: string }).error}`));
      else resolve();
    });
  });
  await docker.getImage(tag).inspect(); // proves it landed under the expected name
  return Date.now() - started;
}

export interface StartDockerdOptions {
  /** Import busybox:local after start (default true). */
  readonly importImage?: boolean;
  readonly readyTimeoutMs?: number;
}

/**
 * Starts a private dockerd rooted at `dir` (created; must not be in use) and waits until it answers.
 * Call `stop()` in `after()`, also when the test failed.
 */
export async function startDockerd(dir: string, options: StartDockerdOptions = {}): Promise<DockerdHandle> {
  const available = dockerAvailable();
  if (!available.ok) throw new Error(available.reason);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const socket = join(dir, 'docker.sock');
  const execRoot = join(dir, 'exec');
  // containerd's socket lives under the exec root; unix socket paths are limited to 107 bytes.
  if (join(execRoot, 'containerd', 'containerd-debug.sock').length > 100)
    throw new Error(`dockerd dir ${dir} is too long for unix socket paths; use a shorter one`);
  if (existsSync(socket)) throw new Error(`${socket} already exists: another dockerd uses ${dir}`);

  const logPath = join(dir, 'dockerd.log');
  const logFd = openSync(logPath, 'a', 0o600);
  const env = { ...process.env };
  delete env.DOCKER_HOST;
  const started = Date.now();
  // detached: its own session (setsid), so a Ctrl-C in the test terminal does not kill it mid-cleanup.
  const child = spawn(
    'dockerd',
    [
      '--host',
      `unix://${socket}`,
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      execRoot,
      '--pidfile',
      join(dir, 'dockerd.pid'),
      '--bridge=none',
      '--iptables=false',
      '--ip-masq=false',
      '--log-level=warn',
    ],
    { detached: true, stdio: ['ignore', logFd, logFd], env },
  );
  closeSync(logFd);
  const pid = child.pid;
  if (!pid) throw new Error('dockerd could not be spawned');
  let exitCode: number | null | undefined;
  child.once('exit', (code) => {
    exitCode = code;
  });
  // Safety net: if the test process dies without calling stop(), do not leave a daemon behind.
  const onExit = () => {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  };
  process.once('exit', onExit);

  const log = () => {
    try {
      return readFileSync(logPath, 'utf8');
    } catch {
      return '';
    }
  };
  const docker = new Docker({ socketPath: socket });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', onExit);
    try {
      // Force-remove containers first: faster than dockerd's shutdown (SIGTERM + 10 s per container).
      const containers = await withTimeout(docker.listContainers({ all: true }), 5_000);
      await Promise.all(containers.map((c) => withTimeout(docker.getContainer(c.Id).remove({ force: true }), 10_000).catch(() => undefined)));
      // A user-defined bridge (the task network) and its route to the subnet would outlive the daemon.
      const networks = await withTimeout(docker.listNetworks(), 5_000);
      const own = networks.filter((n) => !PREDEFINED_NETWORKS.has(n.Name));
      await Promise.all(own.map((n) => withTimeout(docker.getNetwork(n.Id).remove(), 10_000).catch(() => undefined)));
    } catch {
      /* daemon already down */
    }
    if (pidAlive(pid)) {
      process.kill(pid, 'SIGTERM');
      if (!(await waitGone(pid, 20_000))) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
        await waitGone(pid, 5_000);
      }
    }
    // containerd and shims normally exit with dockerd; after a SIGKILL they would not.
    for (const leftover of pidsMentioning(dir)) {
      try {
        process.kill(leftover, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const leftover of pidsMentioning(dir)) await waitGone(leftover, 5_000);
    // dockerd leaves exec/netns/default (a bind-mounted netns) and possibly overlay mounts behind.
    cleanupUnder(dir);
  };

  try {
    const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
    for (;;) {
      if (exitCode !== undefined) throw new Error(`dockerd exited with ${exitCode} before answering:\n${log().slice(-4000)}`);
      try {
        await withTimeout(docker.ping(), 1_000);
        break;
      } catch {
        /* not yet */
      }
      if (Date.now() > deadline) throw new Error(`dockerd did not answer on ${socket} within ${options.readyTimeoutMs ?? 30_000} ms:\n${log().slice(-4000)}`);
      await sleep(25);
    }
    const readyMs = Date.now() - started;
    const importMs = options.importImage === false ? 0 : await importBusybox(docker, dir);
    return { dir, socket, pid, docker, timings: { readyMs, importMs }, log, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]);
}
