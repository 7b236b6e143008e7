// Original file: /work/main/proto/csi/csi.proto


export interface DeleteVolumeResponse {
}

export interface DeleteVolumeResponse__Output {
}
