/** Short names for the generated CSI types other modules use most (the generator's names are long). */
export type { VolumeCapability, VolumeCapability__Output } from './generated/csi/v1/VolumeCapability';
export type { _csi_v1_VolumeCapability_AccessMode_Mode as AccessMode } from './generated/csi/v1/VolumeCapability';
export type { Topology, Topology__Output } from './generated/csi/v1/Topology';
export type { Volume, Volume__Output } from './generated/csi/v1/Volume';
export type { Snapshot, Snapshot__Output } from './generated/csi/v1/Snapshot';
