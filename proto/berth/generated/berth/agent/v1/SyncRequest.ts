// Original file: proto/berth/agent.proto

import type { PluginReport as _berth_agent_v1_PluginReport, PluginReport__Output as _berth_agent_v1_PluginReport__Output } from '../../../berth/agent/v1/PluginReport';
import type { TaskReport as _berth_agent_v1_TaskReport, TaskReport__Output as _berth_agent_v1_TaskReport__Output } from '../../../berth/agent/v1/TaskReport';
import type { Long } from '@grpc/proto-loader';

export interface SyncRequest {
  'nodeId'?: (string);
  'address'?: (string);
  'labels'?: ({[key: string]: string});
  'cpuCores'?: (number | string);
  'memoryBytes'?: (number | string | Long);
  'runtime'?: (string);
  'plugins'?: (_berth_agent_v1_PluginReport)[];
  'tasks'?: (_berth_agent_v1_TaskReport)[];
  'agentVersion'?: (string);
  'waitMs'?: (number);
  'knownFingerprint'?: (string);
  'sentAtMs'?: (number | string | Long);
  'features'?: (string)[];
  'dnsAddress'?: (string);
}

export interface SyncRequest__Output {
  'nodeId': (string);
  'address': (string);
  'labels': ({[key: string]: string});
  'cpuCores': (number);
  'memoryBytes': (string);
  'runtime': (string);
  'plugins': (_berth_agent_v1_PluginReport__Output)[];
  'tasks': (_berth_agent_v1_TaskReport__Output)[];
  'agentVersion': (string);
  'waitMs': (number);
  'knownFingerprint': (string);
  'sentAtMs': (string);
  'features': (string)[];
  'dnsAddress': (string);
}
