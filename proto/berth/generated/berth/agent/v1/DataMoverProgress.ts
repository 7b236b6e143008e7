// Original file: proto/berth/agent.proto

import type { DataMoverResult as _berth_agent_v1_DataMoverResult, DataMoverResult__Output as _berth_agent_v1_DataMoverResult__Output } from '../../../berth/agent/v1/DataMoverResult';
import type { Long } from '@grpc/proto-loader';

export interface DataMoverProgress {
  'bytesDone'?: (number | string | Long);
  'bytesTotal'?: (number | string | Long);
  'filesDone'?: (number | string | Long);
  'done'?: (boolean);
  'result'?: (_berth_agent_v1_DataMoverResult | null);
}

export interface DataMoverProgress__Output {
  'bytesDone': (string);
  'bytesTotal': (string);
  'filesDone': (string);
  'done': (boolean);
  'result': (_berth_agent_v1_DataMoverResult__Output | null);
}
