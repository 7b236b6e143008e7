/** The three kinds of probe: a command in the task, an HTTP GET, a TCP connect. */
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { HealthProbe } from '../../core/domain';
import { describeProbe } from '../../core/domain';
import type { ExecResult, TaskAddress } from '../executors/executor';
import type { ProbeOutcome } from './check-runner';

/** How a probe reaches its task. */
export interface ProbeTarget {
  /** Runs a command inside the task (the executor's exec: the task's environment, or docker exec). */
  exec(command: readonly string[], timeoutMs: number): Promise<ExecResult>;
  /** Where the task's ports are reached from this node: 127.0.0.1 for a process, the container's address (or network namespace) for docker. */
  address(): Promise<TaskAddress>;
}

const MAX_OUTPUT = 200;

export async function runProbe(probe: HealthProbe, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const what = describeProbe(probe);
  try {
    switch (probe.kind) {
      case 'exec': {
        const result = await target.exec(probe.command, timeoutMs);
        if (result.exitCode === 0) return { ok: true };
        const output = result.output.trim().split('\n').slice(-1)[0]?.slice(0, MAX_OUTPUT) ?? '';
        return { ok: false, message: `${what} exited with code ${result.exitCode}${output ? `: ${output}` : ''}` };
      }
      case 'http':
      case 'tcp': {
        const address = await target.address();
        if (address.netns) return await inNamespace(address, probe, timeoutMs);
        return probe.kind === 'http'
          ? await httpGet(address.host, probe.port, probe.path, timeoutMs, what)
          : await tcpConnect(address.host, probe.port, timeoutMs, what);
      }
    }
  } catch (error) {
    return { ok: false, message: `${what}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** A network probe run from here, the host side of the namespace: what `probe-in-netns` runs. */
export function networkProbe(probe: HealthProbe, host: string, timeoutMs: number): Promise<ProbeOutcome> {
  const what = describeProbe(probe);
  if (probe.kind === 'http') return httpGet(host, probe.port, probe.path, timeoutMs, what);
  if (probe.kind === 'tcp') return tcpConnect(host, probe.port, timeoutMs, what);
  return Promise.resolve({ ok: false, message: `${what}: not a network probe` });
}

/**
 * A container without an address this node can route to is probed from inside its network namespace:
 * a short-lived node process entered there with nsenter (the agent runs as root beside dockerd). No
 * tool of the image is needed, so any image can have http and tcp checks.
 */
function inNamespace(address: TaskAddress, probe: HealthProbe, timeoutMs: number): Promise<ProbeOutcome> {
  const what = describeProbe(probe);
  const script = join(__dirname, 'probe-in-netns.js');
  const args = [`--net=${address.netns}`, '--', process.execPath, script, JSON.stringify({ probe, host: address.host, timeoutMs })];
  return new Promise((resolve) => {
    execFile('nsenter', args, { timeout: timeoutMs + 5_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      try {
        resolve(JSON.parse(stdout) as ProbeOutcome);
      } catch {
        resolve({ ok: false, message: `${what}: could not probe inside the container's network namespace: ${(stderr || error?.message || stdout).trim()}` });
      }
    });
  });
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** 2xx and 3xx are a success (redirects are not followed), as for Kubernetes and Nomad. */
function httpGet(host: string, port: number, path: string, timeoutMs: number, what: string): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, method: 'GET', headers: { 'user-agent': 'berth-health-check' }, agent: false }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(code >= 200 && code < 400 ? { ok: true } : { ok: false, message: `${what} answered ${code}` });
      req.destroy();
    });
    req.setTimeout(timeoutMs, () => {
      resolve({ ok: false, message: `${what} did not answer within ${seconds(timeoutMs)}` });
      req.destroy();
    });
    req.once('error', (error) => resolve({ ok: false, message: `${what}: ${errorText(error)}` }));
    req.end();
  });
}

function tcpConnect(host: string, port: number, timeoutMs: number, what: string): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      resolve({ ok: false, message: `${what} did not accept a connection within ${seconds(timeoutMs)}` });
      socket.destroy();
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve({ ok: true });
      socket.destroy();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, message: `${what}: ${errorText(error)}` });
    });
  });
}

/** "connection refused" rather than "connect ECONNREFUSED 127.0.0.1:8080" (the probe already names the port). */
function errorText(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET') return 'connection reset';
  if (code === 'EHOSTUNREACH') return 'host unreachable';
  return error.message;
}
