/**
 * TaskSpec → docker create options. Pure, so the mapping can be read (and tested) without a daemon.
 */
import { createHash } from 'node:crypto';
import type { ContainerCreateOptions, DeviceMapping, MountSettings } from 'dockerode';
import type { TaskPortMapping, TaskSpec } from './executor';
import { DEFAULT_LOG_BOUNDS, type LogBounds } from './task-log-files';
import { LABEL_APP, LABEL_INSTANCE, LABEL_NODE, LABEL_SPEC, LABEL_TASK, portEnv } from './task-spec';

/** Container names are "berth-<taskId>": recognisable in `docker ps`, and never clash with user containers. */
export function containerName(taskId: string): string {
  return `berth-${taskId}`;
}

/** dockerd's json-file options for `bounds`: whole MiB where they are (the defaults read "10m", as before). */
function jsonFileBounds(bounds: LogBounds): Record<string, string> {
  const mib = 1024 * 1024;
  const size = bounds.maxBytes % mib === 0 ? `${bounds.maxBytes / mib}m` : `${Math.max(1, Math.ceil(bounds.maxBytes / 1024))}k`;
  return { 'max-size': size, 'max-file': String(bounds.maxFiles) };
}

export interface DockerSpecOptions {
  readonly nodeId?: string;
  /** Docker network mode; the daemon's default when omitted. */
  readonly networkMode?: string;
  /** How much of each task's output dockerd keeps (json-file); default 10 MiB × 3 files. */
  readonly logBounds?: LogBounds;
}

export function toCreateOptions(spec: TaskSpec, image: string, options: DockerSpecOptions): ContainerCreateOptions {
  const labels: Record<string, string> = {
    ...spec.labels,
    [LABEL_TASK]: spec.taskId,
    [LABEL_APP]: spec.app,
    [LABEL_INSTANCE]: String(spec.instance),
  };
  if (options.nodeId) labels[LABEL_NODE] = options.nodeId;

  // Mounts (not Binds): a missing host path is an error instead of an empty directory docker creates
  // silently, which would hide an unpublished volume and let the task write to the root disk.
  const mounts: MountSettings[] = spec.mounts.map((m) => ({
    Type: 'bind',
    Source: m.hostPath,
    Target: m.containerPath,
    ReadOnly: m.readOnly,
  }));
  // Same as `--device host:container[:r]`: 'r' in the device cgroup makes every open for write fail.
  const devices: DeviceMapping[] = spec.devices.map((d) => ({
    PathOnHost: d.hostPath,
    PathInContainer: d.containerPath,
    CgroupPermissions: d.readOnly ? 'r' : 'rwm',
  }));

  const createOptions: ContainerCreateOptions = {
    name: containerName(spec.taskId),
    Image: image,
    Cmd: spec.command.length > 0 ? [...spec.command] : undefined,
    Env: Object.entries({ ...spec.env, ...portEnv(spec, 'container') }).map(([k, v]) => `${k}=${v}`),
    // Only when given, so containers of tasks without ports keep their spec hash.
    ExposedPorts: spec.ports?.length ? Object.fromEntries(spec.ports.map((p) => [`${p.containerPort}/tcp`, {}])) : undefined,
    WorkingDir: spec.workingDir,
    Labels: labels,
    // Only when given, so containers of assignments without a policy keep their spec hash.
    StopSignal: spec.stop?.signal,
    StopTimeout: spec.stop ? Math.round(spec.stop.gracePeriodSeconds) : undefined,
    // A name is resolved in the image's /etc/passwd, as `docker run --user` does.
    User: spec.user,
    HostConfig: {
      GroupAdd: spec.fsGroup !== undefined ? [String(spec.fsGroup)] : undefined,
      Mounts: mounts,
      Devices: devices,
      NanoCpus: spec.cpu > 0 ? Math.round(spec.cpu * 1e9) : undefined,
      Memory: spec.memoryBytes > 0 ? spec.memoryBytes : undefined,
      // The agent decides restarts (same node, same volumes, after re-publishing them); docker must not.
      RestartPolicy: { Name: 'no' },
      NetworkMode: options.networkMode,
      // On every address of the node: the node's address as the server knows it may be a loopback one.
      PortBindings: spec.ports?.length ? portBindings(spec.ports) : undefined,
      // Bounded json-file logs so a chatty task cannot fill the node's disk.
      LogConfig: { Type: 'json-file', Config: jsonFileBounds(options.logBounds ?? DEFAULT_LOG_BOUNDS) },
    },
  };
  labels[LABEL_SPEC] = specHash(createOptions);
  return createOptions;
}

/** containerPort/tcp → the host port it is published on. Two names may share a container port, each on its own host port. */
function portBindings(ports: readonly TaskPortMapping[]): Record<string, { HostIp: string; HostPort: string }[]> {
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of ports) {
    const key = `${p.containerPort}/tcp`;
    bindings[key] = [...(bindings[key] ?? []), { HostIp: '', HostPort: String(p.hostPort) }];
  }
  return bindings;
}

/** The hash a container carries in its LABEL_SPEC label: of everything it is createOptions with but that label. */
export function specHash(options: ContainerCreateOptions): string {
  const labels = { ...options.Labels };
  delete labels[LABEL_SPEC];
  return createHash('sha256')
    .update(JSON.stringify({ ...options, Labels: labels }))
    .digest('hex')
    .slice(0, 32);
}
