import { invalidArgument, outOfRange } from '../sdk/errors';
import { FS_TYPES } from './driver-config';

export type AccessType = 'mount' | 'block';

/**
 * A LUN carries one filesystem (or raw block data) written by one node at a time: single-node modes only.
 * Multi-node block access would be possible at the target but needs a cluster filesystem above it.
 */
export const SUPPORTED_ACCESS_MODES: ReadonlySet<string> = new Set([
  'SINGLE_NODE_WRITER',
  'SINGLE_NODE_READER_ONLY',
  'SINGLE_NODE_SINGLE_WRITER',
  'SINGLE_NODE_MULTI_WRITER',
]);

export interface CapabilityLike {
  block?: object | null;
  mount?: { fsType?: string; mountFlags?: string[] } | null;
  accessMode?: { mode?: string | number } | null;
}

/** Mount flags are handed to mount(8) as one `-o` list: a strict alphabet, no ',' inside a flag. */
const MOUNT_FLAG = /^[a-z0-9_][a-z0-9_=.:-]{0,63}$/;

export function accessTypeOf(cap: CapabilityLike): AccessType | undefined {
  if (cap.block) return 'block';
  if (cap.mount) return 'mount';
  return undefined;
}

/** Why a capability is not supported, or null when it is. */
export function capabilityProblem(cap: CapabilityLike): string | null {
  const type = accessTypeOf(cap);
  if (type === undefined) return 'volume capability must set block or mount';
  const mode = cap.accessMode?.mode;
  if (mode === undefined || mode === 'UNKNOWN' || mode === 0) return 'volume capability access_mode is required';
  if (!SUPPORTED_ACCESS_MODES.has(String(mode))) return `access mode ${String(mode)} is not supported: an iSCSI volume is attached to one node at a time`;
  const fsType = cap.mount?.fsType ?? '';
  if (type === 'mount' && fsType !== '' && !FS_TYPES.has(fsType)) return `fs_type ${JSON.stringify(fsType)} is not supported (ext4, xfs)`;
  for (const flag of cap.mount?.mountFlags ?? []) {
    if (!MOUNT_FLAG.test(flag)) return `mount flag ${JSON.stringify(flag)} is not allowed`;
  }
  return null;
}

/** Checks a request's capabilities and returns the access type and fs type they agree on. */
export function requireCapabilities(caps: CapabilityLike[] | undefined): { accessType: AccessType; fsType: string } {
  if (!caps || caps.length === 0) throw invalidArgument('volume_capabilities is required');
  const types = new Set<AccessType>();
  const fsTypes = new Set<string>();
  for (const cap of caps) {
    const problem = capabilityProblem(cap);
    if (problem) throw invalidArgument(problem);
    types.add(accessTypeOf(cap) as AccessType);
    if (cap.mount?.fsType) fsTypes.add(cap.mount.fsType);
  }
  if (types.size > 1) throw invalidArgument('a volume is either block or mount, not both');
  if (fsTypes.size > 1) throw invalidArgument('volume capabilities ask for different fs_types');
  return { accessType: [...types][0], fsType: [...fsTypes][0] ?? '' };
}

export const isReadOnlyMode = (cap: CapabilityLike): boolean => String(cap.accessMode?.mode) === 'SINGLE_NODE_READER_ONLY';

/** Identifies a capability, to tell a repeated stage/publish from an incompatible one. */
export function capabilityKey(cap: CapabilityLike): string {
  return JSON.stringify([accessTypeOf(cap), String(cap.accessMode?.mode), cap.mount?.fsType ?? '', [...(cap.mount?.mountFlags ?? [])].sort()]);
}

export interface CapacityRangeLike {
  requiredBytes?: string | number;
  limitBytes?: string | number;
}

/**
 * The size to provision: at least required_bytes (and at least `minimum`), at most limit_bytes; the default
 * when neither is set. Rounded up to 1 MiB so the LUN is a whole number of 512-byte and 4 KiB blocks.
 */
export function resolveCapacity(range: CapacityRangeLike | null | undefined, defaultBytes: number, minimum = 0): number {
  const required = Number(range?.requiredBytes ?? 0);
  const limit = Number(range?.limitBytes ?? 0);
  if (!Number.isSafeInteger(required) || !Number.isSafeInteger(limit) || required < 0 || limit < 0) {
    throw outOfRange('capacity_range bytes must be non-negative integers');
  }
  if (limit > 0 && required > limit) throw outOfRange(`required_bytes ${required} exceeds limit_bytes ${limit}`);
  let size = Math.max(required > 0 ? required : Math.min(defaultBytes, limit > 0 ? limit : defaultBytes), minimum);
  const MiB = 1024 * 1024;
  size = Math.ceil(size / MiB) * MiB;
  if (limit > 0 && size > limit) {
    const floor = Math.floor(limit / 4096) * 4096;
    if (floor < Math.max(required, minimum) || floor === 0)
      throw outOfRange(`no size of at least ${Math.max(required, minimum)} bytes fits limit_bytes ${limit}`);
    size = floor;
  }
  return size;
}

export function capacityFits(bytes: number, range: CapacityRangeLike | null | undefined): boolean {
  const required = Number(range?.requiredBytes ?? 0);
  const limit = Number(range?.limitBytes ?? 0);
  return bytes >= required && (limit === 0 || bytes <= limit);
}

export function requireFsTypeParameter(value: string | undefined): string {
  if (value === undefined || value === '') return '';
  if (!FS_TYPES.has(value)) throw invalidArgument(`parameter fsType ${JSON.stringify(value)} is not supported (ext4, xfs)`);
  return value;
}
