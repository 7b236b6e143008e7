import { invalidArgument, outOfRange } from '../sdk/errors';

/**
 * An NFS volume is a shared filesystem: every access mode works, multi-node ones included. Block access
 * cannot be served over NFS. fs_type may be empty or "nfs" (the node mounts with the kernel NFS client).
 */
export const SUPPORTED_ACCESS_MODES: ReadonlySet<string> = new Set([
  'SINGLE_NODE_WRITER',
  'SINGLE_NODE_READER_ONLY',
  'SINGLE_NODE_SINGLE_WRITER',
  'SINGLE_NODE_MULTI_WRITER',
  'MULTI_NODE_READER_ONLY',
  'MULTI_NODE_SINGLE_WRITER',
  'MULTI_NODE_MULTI_WRITER',
]);
const SINGLE_NODE_MODES: ReadonlySet<string> = new Set([
  'SINGLE_NODE_WRITER',
  'SINGLE_NODE_READER_ONLY',
  'SINGLE_NODE_SINGLE_WRITER',
  'SINGLE_NODE_MULTI_WRITER',
]);
const READ_ONLY_MODES: ReadonlySet<string> = new Set(['SINGLE_NODE_READER_ONLY', 'MULTI_NODE_READER_ONLY']);

/**
 * One mount flag from a storage class's mountOptions: letters, digits and `_ . = : / + , -` only, so a
 * flag stays one `-o` argument of mount(8) and cannot smuggle anything else.
 */
const MOUNT_FLAG = /^[A-Za-z0-9_][A-Za-z0-9_.=:/+,-]{0,255}$/;

export interface CapabilityLike {
  block?: object | null;
  mount?: { fsType?: string; mountFlags?: string[] } | null;
  accessMode?: { mode?: string } | null;
}

/** Why a capability is not supported, or null when it is. */
export function capabilityProblem(cap: CapabilityLike): string | null {
  if (cap.block) return 'block access is not supported: an NFS volume is a shared filesystem';
  if (!cap.mount) return 'volume capability must set mount';
  const mode = cap.accessMode?.mode;
  if (!mode || mode === 'UNKNOWN') return 'volume capability access_mode is required';
  if (!SUPPORTED_ACCESS_MODES.has(mode)) return `access mode ${mode} is not supported`;
  const fsType = cap.mount.fsType ?? '';
  if (fsType !== '' && fsType !== 'nfs' && fsType !== 'nfs4') return `fs_type ${fsType} is not supported: volumes are NFS exports`;
  for (const flag of cap.mount.mountFlags ?? []) {
    if (!MOUNT_FLAG.test(flag)) return `mount flag ${JSON.stringify(flag)} is not allowed`;
  }
  return null;
}

export function requireCapabilities(caps: CapabilityLike[] | undefined): void {
  if (!caps || caps.length === 0) throw invalidArgument('volume_capabilities is required');
  for (const cap of caps) {
    const problem = capabilityProblem(cap);
    if (problem) throw invalidArgument(problem);
  }
}

export const isSingleNode = (cap: CapabilityLike): boolean => SINGLE_NODE_MODES.has(cap.accessMode?.mode ?? '');
export const isReadOnlyMode = (cap: CapabilityLike): boolean => READ_ONLY_MODES.has(cap.accessMode?.mode ?? '');

/** A string that identifies a capability, to tell a repeated publish from an incompatible one. */
export function capabilityKey(cap: CapabilityLike): string {
  return JSON.stringify([cap.accessMode?.mode, cap.mount?.fsType ?? '', [...(cap.mount?.mountFlags ?? [])].sort()]);
}

export interface CapacityRangeLike {
  requiredBytes?: string | number;
  limitBytes?: string | number;
}

/**
 * The size to provision: at least required_bytes, at most limit_bytes; the default when neither is set
 * (capped by the limit). Rounded up to 4 KiB unless that would pass the limit.
 */
export function resolveCapacity(range: CapacityRangeLike | null | undefined, defaultBytes: number): number {
  const required = Number(range?.requiredBytes ?? 0);
  const limit = Number(range?.limitBytes ?? 0);
  if (!Number.isFinite(required) || !Number.isFinite(limit) || required < 0 || limit < 0) throw outOfRange('capacity_range bytes must not be negative');
  if (limit > 0 && required > limit) throw outOfRange(`required_bytes ${required} exceeds limit_bytes ${limit}`);
  let size = required > 0 ? required : defaultBytes;
  if (limit > 0 && size > limit) size = limit;
  const rounded = Math.ceil(size / 4096) * 4096;
  return limit > 0 && rounded > limit ? size : rounded;
}

export function capacityFits(bytes: number, range: CapacityRangeLike | null | undefined): boolean {
  const required = Number(range?.requiredBytes ?? 0);
  const limit = Number(range?.limitBytes ?? 0);
  return bytes >= required && (limit === 0 || bytes <= limit);
}
