// Original file: proto/csi/csi.proto

import type { VolumeGroupSnapshot as _csi_v1_VolumeGroupSnapshot, VolumeGroupSnapshot__Output as _csi_v1_VolumeGroupSnapshot__Output } from '../../csi/v1/VolumeGroupSnapshot';

export interface CreateVolumeGroupSnapshotResponse {
  'groupSnapshot'?: (_csi_v1_VolumeGroupSnapshot | null);
}

export interface CreateVolumeGroupSnapshotResponse__Output {
  'groupSnapshot': (_csi_v1_VolumeGroupSnapshot__Output | null);
}
