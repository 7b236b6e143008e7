import { invalidArgument, outOfRange } from '../sdk/errors';
import { AccessType } from './pool';

/** The access-mode names as they arrive over the wire (enums are decoded to strings). */
export type AccessModeName = string;

/** A local volume lives on one node: every single-node mode works, no multi-node mode can. */
export const SUPPORTED_ACCESS_MODES: ReadonlySet<AccessModeName> = new Set([
  'SINGLE_NODE_WRITER',
  'SINGLE_NODE_READER_ONLY',
  'SINGLE_NODE_SINGLE_WRITER',
  'SINGLE_NODE_MULTI_WRITER',
]);

export interface CapabilityLike {
  block?: object | null;
  mount?: { fsType?: string; mountFlags?: string[] } | null;
  accessMode?: { mode?: AccessModeName } | null;
  accessType?: string;
}

/** Why a capability is not supported, or null when it is. */
export function capabilityProblem(cap: CapabilityLike, poolFsType: string): string | null {
  const type = accessTypeOf(cap);
  if (type === undefined) return 'volume capability must set block or mount';
  const mode = cap.accessMode?.mode;
  if (!mode || mode === 'UNKNOWN') return 'volume capability access_mode is required';
  if (!SUPPORTED_ACCESS_MODES.has(mode)) return `access mode ${mode} is not supported: a local volume is reachable from one node only`;
  const fsType = cap.mount?.fsType ?? '';
  if (type === 'mount' && fsType !== '' && fsType !== poolFsType) {
    return `fs_type ${fsType} is not supported: mount volumes of this pool are ${poolFsType} subvolumes`;
  }
  return null;
}

export function accessTypeOf(cap: CapabilityLike): AccessType | undefined {
  if (cap.block) return 'block';
  if (cap.mount) return 'mount';
  return undefined;
}

/** Checks a request's capabilities and returns the one access type they share. */
export function requireCapabilities(caps: CapabilityLike[] | undefined, poolFsType: string): AccessType {
  if (!caps || caps.length === 0) throw invalidArgument('volume_capabilities is required');
  const types = new Set<AccessType>();
  for (const cap of caps) {
    const problem = capabilityProblem(cap, poolFsType);
    if (problem) throw invalidArgument(problem);
    types.add(accessTypeOf(cap) as AccessType);
  }
  if (types.size > 1) throw invalidArgument('a volume is either block or mount, not both');
  return [...types][0];
}

/** A string that identifies a capability, to tell a repeated stage/publish from an incompatible one. */
export function capabilityKey(cap: CapabilityLike): string {
  return JSON.stringify([accessTypeOf(cap), cap.accessMode?.mode, cap.mount?.fsType ?? '', [...(cap.mount?.mountFlags ?? [])].sort()]);
}

export interface CapacityRangeLike {
  requiredBytes?: string | number;
  limitBytes?: string | number;
}

/**
 * The size to provision: at least required_bytes, at most limit_bytes; the default when neither is set
 * (capped by the limit). Sizes are rounded up to 4 KiB, the block size every filesystem here uses.
 */
export function resolveCapacity(range: CapacityRangeLike | null | undefined, defaultBytes: number): number {
  const required = Number(range?.requiredBytes ?? 0);
  const limit = Number(range?.limitBytes ?? 0);
  if (required < 0 || limit < 0) throw outOfRange('capacity_range bytes must not be negative');
  if (limit > 0 && required > limit) throw outOfRange(`required_bytes ${required} exceeds limit_bytes ${limit}`);
  let size = required > 0 ? required : defaultBytes;
  if (limit > 0 && size > limit) size = limit;
  const rounded = Math.ceil(size / 4096) * 4096;
  if (limit > 0 && rounded > limit) return size;
  return rounded;
}

export function capacityFits(bytes: number, range: CapacityRangeLike | null | undefined): boolean {
  const required = Number(range?.requiredBytes ?? 0);
  const limit = Number(range?.limitBytes ?? 0);
  return bytes >= required && (limit === 0 || bytes <= limit);
}
