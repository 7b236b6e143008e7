// Original file: proto/berth/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface LogsRequest {
  'taskId'?: (string);
  'tail'?: (number);
  'sinceUnixMs'?: (number | string | Long);
}

export interface LogsRequest__Output {
  'taskId': (string);
  'tail': (number);
  'sinceUnixMs': (string);
}
