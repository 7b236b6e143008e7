// Original file: proto/berth/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface CreatedVolume {
  'name'?: (string);
  'response'?: (Buffer | Uint8Array | string);
  'csiName'?: (string);
  'createdAtMs'?: (number | string | Long);
}

export interface CreatedVolume__Output {
  'name': (string);
  'response': (Buffer);
  'csiName': (string);
  'createdAtMs': (string);
}
