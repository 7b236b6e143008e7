// Original file: proto/berth/agent.proto

import type { TaskAssignment as _berth_agent_v1_TaskAssignment, TaskAssignment__Output as _berth_agent_v1_TaskAssignment__Output } from '../../../berth/agent/v1/TaskAssignment';

export interface SyncResponse {
  'tasks'?: (_berth_agent_v1_TaskAssignment)[];
  'syncIntervalMs'?: (number);
  'fingerprint'?: (string);
}

export interface SyncResponse__Output {
  'tasks': (_berth_agent_v1_TaskAssignment__Output)[];
  'syncIntervalMs': (number);
  'fingerprint': (string);
}
