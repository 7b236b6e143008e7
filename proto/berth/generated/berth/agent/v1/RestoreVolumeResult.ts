// Original file: proto/berth/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface RestoreVolumeResult {
  'bytes'?: (number | string | Long);
  'files'?: (number | string | Long);
  'path'?: (string);
}

export interface RestoreVolumeResult__Output {
  'bytes': (string);
  'files': (string);
  'path': (string);
}
