// Original file: proto/berth/agent.proto

import type { RepositoryAccess as _berth_agent_v1_RepositoryAccess, RepositoryAccess__Output as _berth_agent_v1_RepositoryAccess__Output } from '../../../berth/agent/v1/RepositoryAccess';
import type { Long } from '@grpc/proto-loader';

export interface BackupVolumeRequest {
  'operationId'?: (string);
  'repository'?: (_berth_agent_v1_RepositoryAccess | null);
  'volumeName'?: (string);
  'plugin'?: (string);
  'snapshotId'?: (string);
  'sourceVolumeId'?: (string);
  'block'?: (boolean);
  'sizeBytes'?: (number | string | Long);
  'fsType'?: (string);
  'parentBackupId'?: (string);
  'parentChangeMarker'?: (string);
  'parameters'?: ({[key: string]: string});
  'controllerSecrets'?: ({[key: string]: string});
  'nodeSecrets'?: ({[key: string]: string});
  'publishSecrets'?: ({[key: string]: string});
}

export interface BackupVolumeRequest__Output {
  'operationId': (string);
  'repository': (_berth_agent_v1_RepositoryAccess__Output | null);
  'volumeName': (string);
  'plugin': (string);
  'snapshotId': (string);
  'sourceVolumeId': (string);
  'block': (boolean);
  'sizeBytes': (string);
  'fsType': (string);
  'parentBackupId': (string);
  'parentChangeMarker': (string);
  'parameters': ({[key: string]: string});
  'controllerSecrets': ({[key: string]: string});
  'nodeSecrets': ({[key: string]: string});
  'publishSecrets': ({[key: string]: string});
}
