// Original file: /work/main/proto/csi/csi.proto


export interface GetPluginInfoRequest {
}

export interface GetPluginInfoRequest__Output {
}
