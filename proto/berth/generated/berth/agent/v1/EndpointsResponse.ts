// Original file: proto/berth/agent.proto

import type { Endpoint as _berth_agent_v1_Endpoint, Endpoint__Output as _berth_agent_v1_Endpoint__Output } from '../../../berth/agent/v1/Endpoint';

export interface EndpointsResponse {
  'endpoints'?: (_berth_agent_v1_Endpoint)[];
  'fingerprint'?: (string);
}

export interface EndpointsResponse__Output {
  'endpoints': (_berth_agent_v1_Endpoint__Output)[];
  'fingerprint': (string);
}
