// Original file: proto/berth/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface TaskReport {
  'taskId'?: (string);
  'state'?: (string);
  'exitCode'?: (number);
  'message'?: (string);
  'startedAtMs'?: (number | string | Long);
  'restarts'?: (number);
  'generation'?: (number | string | Long);
}

export interface TaskReport__Output {
  'taskId': (string);
  'state': (string);
  'exitCode': (number);
  'message': (string);
  'startedAtMs': (string);
  'restarts': (number);
  'generation': (string);
}
