// Original file: proto/berth/agent.proto

import type { BackupVolumeResult as _berth_agent_v1_BackupVolumeResult, BackupVolumeResult__Output as _berth_agent_v1_BackupVolumeResult__Output } from '../../../berth/agent/v1/BackupVolumeResult';
import type { RestoreVolumeResult as _berth_agent_v1_RestoreVolumeResult, RestoreVolumeResult__Output as _berth_agent_v1_RestoreVolumeResult__Output } from '../../../berth/agent/v1/RestoreVolumeResult';

export interface DataMoverResult {
  'backup'?: (_berth_agent_v1_BackupVolumeResult | null);
  'restore'?: (_berth_agent_v1_RestoreVolumeResult | null);
  'result'?: "backup"|"restore";
}

export interface DataMoverResult__Output {
  'backup'?: (_berth_agent_v1_BackupVolumeResult__Output | null);
  'restore'?: (_berth_agent_v1_RestoreVolumeResult__Output | null);
  'result'?: "backup"|"restore";
}
