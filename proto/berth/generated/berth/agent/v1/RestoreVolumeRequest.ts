// Original file: proto/berth/agent.proto

import type { RepositoryAccess as _berth_agent_v1_RepositoryAccess, RepositoryAccess__Output as _berth_agent_v1_RepositoryAccess__Output } from '../../../berth/agent/v1/RepositoryAccess';

export interface RestoreVolumeRequest {
  'operationId'?: (string);
  'repository'?: (_berth_agent_v1_RepositoryAccess | null);
  'backupId'?: (string);
  'volumeName'?: (string);
  'plugin'?: (string);
  'volumeId'?: (string);
  'block'?: (boolean);
  'fsType'?: (string);
  'accessMode'?: (string);
  'volumeContext'?: ({[key: string]: string});
  'publishContext'?: ({[key: string]: string});
  'nodeSecrets'?: ({[key: string]: string});
  'mountFlags'?: (string)[];
  'publishSecrets'?: ({[key: string]: string});
}

export interface RestoreVolumeRequest__Output {
  'operationId': (string);
  'repository': (_berth_agent_v1_RepositoryAccess__Output | null);
  'backupId': (string);
  'volumeName': (string);
  'plugin': (string);
  'volumeId': (string);
  'block': (boolean);
  'fsType': (string);
  'accessMode': (string);
  'volumeContext': ({[key: string]: string});
  'publishContext': ({[key: string]: string});
  'nodeSecrets': ({[key: string]: string});
  'mountFlags': (string)[];
  'publishSecrets': ({[key: string]: string});
}
