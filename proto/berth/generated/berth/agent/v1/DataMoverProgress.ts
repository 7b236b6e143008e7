// Original file: proto/berth/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface DataMoverProgress {
  'bytesDone'?: (number | string | Long);
  'bytesTotal'?: (number | string | Long);
  'filesDone'?: (number | string | Long);
  'done'?: (boolean);
  'resultJson'?: (string);
}

export interface DataMoverProgress__Output {
  'bytesDone': (string);
  'bytesTotal': (string);
  'filesDone': (string);
  'done': (boolean);
  'resultJson': (string);
}
