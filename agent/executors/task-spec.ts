/**
 * Validation shared by every executor. A spec is checked before anything touches the runtime, so a
 * bad spec fails with the field at fault instead of a runtime error halfway through.
 */
import { isAbsolute } from 'node:path';
import { isStopSignal, MAX_GRACE_SECONDS, MAX_ID, MAX_PORT, MIN_PORT, parseUserRef } from '../../core/domain';
import { InvalidTaskSpecError } from './errors';
import type { PathMapping, TaskSpec } from './executor';

/** Labels the executors own. `berth.task` marks a runtime object as Berth's; list() filters on it. */
export const LABEL_TASK = 'berth.task';
export const LABEL_APP = 'berth.app';
export const LABEL_INSTANCE = 'berth.instance';
/** Set when the executor is bound to a node id, so several agents can share one dockerd (tests, bench). */
export const LABEL_NODE = 'berth.node';
/** A hash of everything a container was created with (docker-spec.ts): a prepared container is started only if it still matches. */
export const LABEL_SPEC = 'berth.spec';

/**
 * Letters, digits, '_', '.', '-'; must start with a letter or digit (so never "." or ".."), at most
 * 128 characters. Safe as a docker container name and as a file name.
 */
const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** @throws InvalidTaskSpecError */
export function validateTaskId(taskId: string): void {
  if (typeof taskId !== 'string' || !TASK_ID.test(taskId)) {
    throw new InvalidTaskSpecError('taskId', `${JSON.stringify(taskId)} must match ${TASK_ID.source}`);
  }
}

function validatePaths(field: string, list: readonly PathMapping[]): void {
  if (!Array.isArray(list)) throw new InvalidTaskSpecError(field, 'must be an array');
  const seen = new Set<string>();
  list.forEach((m, i) => {
    if (typeof m.hostPath !== 'string' || !isAbsolute(m.hostPath)) {
      throw new InvalidTaskSpecError(`${field}[${i}].hostPath`, `must be an absolute path, got ${JSON.stringify(m.hostPath)}`);
    }
    if (typeof m.containerPath !== 'string' || !isAbsolute(m.containerPath)) {
      throw new InvalidTaskSpecError(`${field}[${i}].containerPath`, `must be an absolute path, got ${JSON.stringify(m.containerPath)}`);
    }
    if (m.hostPath.includes(':') || m.containerPath.includes(':')) {
      // docker's short syntax splits on ':'; refuse it everywhere so both runtimes accept the same specs.
      throw new InvalidTaskSpecError(`${field}[${i}]`, 'paths must not contain ":"');
    }
    if (seen.has(m.containerPath)) throw new InvalidTaskSpecError(`${field}[${i}].containerPath`, `${m.containerPath} is used twice`);
    seen.add(m.containerPath);
  });
}

/** Checks everything a runtime would otherwise reject late or misinterpret. @throws InvalidTaskSpecError */
export function validateTaskSpec(spec: TaskSpec): void {
  validateTaskId(spec.taskId);
  if (typeof spec.app !== 'string' || spec.app.length === 0) throw new InvalidTaskSpecError('app', 'must not be empty');
  if (!Number.isSafeInteger(spec.instance) || spec.instance < 0) {
    throw new InvalidTaskSpecError('instance', `must be a non-negative integer, got ${spec.instance}`);
  }
  if (!Array.isArray(spec.command) || spec.command.some((a) => typeof a !== 'string')) {
    throw new InvalidTaskSpecError('command', 'must be an array of strings');
  }
  for (const key of Object.keys(spec.env)) {
    if (!ENV_NAME.test(key)) throw new InvalidTaskSpecError(`env.${key}`, 'is not a valid environment variable name');
    if (typeof spec.env[key] !== 'string') throw new InvalidTaskSpecError(`env.${key}`, 'value must be a string');
  }
  if (spec.workingDir !== undefined && !isAbsolute(spec.workingDir)) {
    throw new InvalidTaskSpecError('workingDir', `must be an absolute path, got ${JSON.stringify(spec.workingDir)}`);
  }
  validatePaths('mounts', spec.mounts);
  validatePaths('devices', spec.devices);
  if (!Number.isFinite(spec.cpu) || spec.cpu < 0) throw new InvalidTaskSpecError('cpu', `must be a non-negative number of cores, got ${spec.cpu}`);
  if (!Number.isSafeInteger(spec.memoryBytes) || spec.memoryBytes < 0) {
    throw new InvalidTaskSpecError('memoryBytes', `must be a non-negative integer, got ${spec.memoryBytes}`);
  }
  for (const key of Object.keys(spec.labels)) {
    if (key.startsWith('berth.')) throw new InvalidTaskSpecError(`labels.${key}`, 'keys starting with "berth." are reserved');
  }
  if (spec.user !== undefined) {
    const ref = typeof spec.user === 'string' ? parseUserRef(spec.user) : 'must be a string';
    if (typeof ref === 'string') throw new InvalidTaskSpecError('user', `${JSON.stringify(spec.user)}: ${ref}`);
  }
  if (spec.fsGroup !== undefined && (!Number.isSafeInteger(spec.fsGroup) || spec.fsGroup < 0 || spec.fsGroup > MAX_ID)) {
    throw new InvalidTaskSpecError('fsGroup', `must be a gid from 0 to ${MAX_ID}, got ${spec.fsGroup}`);
  }
  const hostPorts = new Set<number>();
  spec.ports?.forEach((p, i) => {
    const bad = [p.hostPort, p.containerPort].some((n) => !Number.isSafeInteger(n) || n < MIN_PORT || n > MAX_PORT);
    if (bad || hostPorts.has(p.hostPort) || !p.name)
      throw new InvalidTaskSpecError(`ports[${i}]`, `needs a name and ports from ${MIN_PORT} to ${MAX_PORT}, each host port once`);
    hostPorts.add(p.hostPort);
  });
  if (spec.stop !== undefined) {
    if (!isStopSignal(spec.stop.signal)) throw new InvalidTaskSpecError('stop.signal', `${JSON.stringify(spec.stop.signal)} is not a stop signal`);
    const grace = spec.stop.gracePeriodSeconds;
    if (!Number.isFinite(grace) || grace < 0 || grace > MAX_GRACE_SECONDS) {
      throw new InvalidTaskSpecError('stop.gracePeriodSeconds', `must be 0 to ${MAX_GRACE_SECONDS} seconds, got ${grace}`);
    }
  }
}

/** "db" → BERTH_PORT_DB, "http-alt" → BERTH_PORT_HTTP_ALT. */
export function portEnvName(prefix: 'BERTH_PORT_' | 'BERTH_HOST_PORT_', name: string): string {
  return `${prefix}${name.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase()}`;
}

/**
 * Where a task with ports listens and is reached: BERTH_PORT_<NAME> is the port to listen on (the host
 * port for a process, the container port in a container), BERTH_HOST_PORT_<NAME> the host port clients
 * use on BERTH_NODE_ADDRESS.
 */
export function portEnv(spec: TaskSpec, listenOn: 'host' | 'container'): Record<string, string> {
  const env: Record<string, string> = {};
  if (!spec.ports?.length) return env;
  for (const p of spec.ports) {
    env[portEnvName('BERTH_PORT_', p.name)] = String(listenOn === 'host' ? p.hostPort : p.containerPort);
    env[portEnvName('BERTH_HOST_PORT_', p.name)] = String(p.hostPort);
  }
  if (spec.nodeAddress) env.BERTH_NODE_ADDRESS = spec.nodeAddress;
  return env;
}

/**
 * The environment variable that tells a process task where a volume lives: the container path
 * upper-cased with non-alphanumerics as '_' ("/var/lib/pg" → BERTH_VOLUME_VAR_LIB_PG).
 */
export function volumeEnvName(prefix: 'BERTH_VOLUME_' | 'BERTH_DEVICE_', containerPath: string): string {
  const stem = containerPath
    .replace(/^\/+|\/+$/g, '')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
  return `${prefix}${stem || 'ROOT'}`;
}
