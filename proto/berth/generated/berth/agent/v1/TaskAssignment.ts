// Original file: proto/berth/agent.proto

import type { VolumeAttachment as _berth_agent_v1_VolumeAttachment, VolumeAttachment__Output as _berth_agent_v1_VolumeAttachment__Output } from '../../../berth/agent/v1/VolumeAttachment';
import type { TaskStop as _berth_agent_v1_TaskStop, TaskStop__Output as _berth_agent_v1_TaskStop__Output } from '../../../berth/agent/v1/TaskStop';
import type { HealthCheck as _berth_agent_v1_HealthCheck, HealthCheck__Output as _berth_agent_v1_HealthCheck__Output } from '../../../berth/agent/v1/HealthCheck';
import type { TaskPort as _berth_agent_v1_TaskPort, TaskPort__Output as _berth_agent_v1_TaskPort__Output } from '../../../berth/agent/v1/TaskPort';
import type { Long } from '@grpc/proto-loader';

export interface TaskAssignment {
  'taskId'?: (string);
  'app'?: (string);
  'instance'?: (number);
  'generation'?: (number | string | Long);
  'runtime'?: (string);
  'image'?: (string);
  'command'?: (string)[];
  'env'?: ({[key: string]: string});
  'cpu'?: (number | string);
  'memoryBytes'?: (number | string | Long);
  'volumes'?: (_berth_agent_v1_VolumeAttachment)[];
  'prepareOnly'?: (boolean);
  'stop'?: (_berth_agent_v1_TaskStop | null);
  'readiness'?: (_berth_agent_v1_HealthCheck | null);
  'liveness'?: (_berth_agent_v1_HealthCheck | null);
  'user'?: (string);
  'fsGroup'?: (string);
  'ports'?: (_berth_agent_v1_TaskPort)[];
  'nodeAddress'?: (string);
}

export interface TaskAssignment__Output {
  'taskId': (string);
  'app': (string);
  'instance': (number);
  'generation': (string);
  'runtime': (string);
  'image': (string);
  'command': (string)[];
  'env': ({[key: string]: string});
  'cpu': (number);
  'memoryBytes': (string);
  'volumes': (_berth_agent_v1_VolumeAttachment__Output)[];
  'prepareOnly': (boolean);
  'stop': (_berth_agent_v1_TaskStop__Output | null);
  'readiness': (_berth_agent_v1_HealthCheck__Output | null);
  'liveness': (_berth_agent_v1_HealthCheck__Output | null);
  'user': (string);
  'fsGroup': (string);
  'ports': (_berth_agent_v1_TaskPort__Output)[];
  'nodeAddress': (string);
}
