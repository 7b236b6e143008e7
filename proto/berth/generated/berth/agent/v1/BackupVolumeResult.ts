// Original file: proto/berth/agent.proto

import type { MovedVolumeEntry as _berth_agent_v1_MovedVolumeEntry, MovedVolumeEntry__Output as _berth_agent_v1_MovedVolumeEntry__Output } from '../../../berth/agent/v1/MovedVolumeEntry';

export interface BackupVolumeResult {
  'entry'?: (_berth_agent_v1_MovedVolumeEntry | null);
  'changeMarker'?: (string);
  'path'?: (string);
  'changeDetection'?: (string);
}

export interface BackupVolumeResult__Output {
  'entry': (_berth_agent_v1_MovedVolumeEntry__Output | null);
  'changeMarker': (string);
  'path': (string);
  'changeDetection': (string);
}
