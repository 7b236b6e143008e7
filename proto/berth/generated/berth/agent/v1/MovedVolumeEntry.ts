// Original file: proto/berth/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface MovedVolumeEntry {
  'name'?: (string);
  'kind'?: (string);
  'tree'?: (string);
  'size'?: (number | string | Long);
  'bytesRead'?: (number | string | Long);
  'bytesNew'?: (number | string | Long);
  'chunksNew'?: (number | string | Long);
  'chunksReused'?: (number | string | Long);
  'files'?: (number | string | Long);
  'bytesStored'?: (number | string | Long);
  '_files'?: "files";
  '_bytesStored'?: "bytesStored";
}

export interface MovedVolumeEntry__Output {
  'name': (string);
  'kind': (string);
  'tree': (string);
  'size': (string);
  'bytesRead': (string);
  'bytesNew': (string);
  'chunksNew': (string);
  'chunksReused': (string);
  'files'?: (string);
  'bytesStored'?: (string);
  '_files'?: "files";
  '_bytesStored'?: "bytesStored";
}
