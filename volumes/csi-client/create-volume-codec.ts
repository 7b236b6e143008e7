import type * as grpc from '@grpc/grpc-js';
import { loadCsi } from '../../proto/csi/load';
import type { CreateVolumeRequest, CreateVolumeRequest__Output } from '../../proto/csi/generated/csi/v1/CreateVolumeRequest';
import type { CreateVolumeResponse, CreateVolumeResponse__Output } from '../../proto/csi/generated/csi/v1/CreateVolumeResponse';

/**
 * CreateVolume's request and response on the wire, for when the call is made by someone else: the
 * server hands a node-local volume's CreateVolumeRequest to the node's agent, which makes the call and
 * reports the plugin's CreateVolumeResponse back, both as the exact CSI bytes.
 */
function method(): grpc.MethodDefinition<CreateVolumeRequest, CreateVolumeResponse> {
  return (loadCsi().csi.v1.Controller.service as grpc.ServiceDefinition).CreateVolume as grpc.MethodDefinition<CreateVolumeRequest, CreateVolumeResponse>;
}

export function encodeCreateVolumeRequest(request: CreateVolumeRequest): Buffer {
  return method().requestSerialize(request);
}

export function decodeCreateVolumeRequest(bytes: Buffer): CreateVolumeRequest__Output {
  // proto-loader decodes with defaults filled in: the __Output shape.
  return method().requestDeserialize(bytes) as CreateVolumeRequest__Output;
}

export function decodeCreateVolumeResponse(bytes: Buffer): CreateVolumeResponse__Output {
  return method().responseDeserialize(bytes) as CreateVolumeResponse__Output;
}

export function encodeCreateVolumeResponse(response: CreateVolumeResponse): Buffer {
  return method().responseSerialize(response);
}
