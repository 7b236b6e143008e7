// Original file: proto/berth/agent.proto

import type { CreatedVolume as _berth_agent_v1_CreatedVolume, CreatedVolume__Output as _berth_agent_v1_CreatedVolume__Output } from '../../../berth/agent/v1/CreatedVolume';
import type { Long } from '@grpc/proto-loader';

export interface TaskReport {
  'taskId'?: (string);
  'state'?: (string);
  'exitCode'?: (number);
  'message'?: (string);
  'startedAtMs'?: (number | string | Long);
  'restarts'?: (number);
  'generation'?: (number | string | Long);
  'created'?: (_berth_agent_v1_CreatedVolume)[];
  'health'?: (string);
  'healthMessage'?: (string);
  'containerAddress'?: (string);
}

export interface TaskReport__Output {
  'taskId': (string);
  'state': (string);
  'exitCode': (number);
  'message': (string);
  'startedAtMs': (string);
  'restarts': (number);
  'generation': (string);
  'created': (_berth_agent_v1_CreatedVolume__Output)[];
  'health': (string);
  'healthMessage': (string);
  'containerAddress': (string);
}
