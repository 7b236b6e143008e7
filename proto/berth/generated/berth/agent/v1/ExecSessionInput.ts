// Original file: proto/berth/agent.proto

import type { ExecSessionStart as _berth_agent_v1_ExecSessionStart, ExecSessionStart__Output as _berth_agent_v1_ExecSessionStart__Output } from '../../../berth/agent/v1/ExecSessionStart';

export interface ExecSessionInput {
  'start'?: (_berth_agent_v1_ExecSessionStart | null);
  'stdin'?: (Buffer | Uint8Array | string);
  'stdinClosed'?: (boolean);
  'cols'?: (number);
  'rows'?: (number);
}

export interface ExecSessionInput__Output {
  'start': (_berth_agent_v1_ExecSessionStart__Output | null);
  'stdin': (Buffer);
  'stdinClosed': (boolean);
  'cols': (number);
  'rows': (number);
}
