// Original file: proto/berth/agent.proto

import type { EndpointPort as _berth_agent_v1_EndpointPort, EndpointPort__Output as _berth_agent_v1_EndpointPort__Output } from '../../../berth/agent/v1/EndpointPort';

export interface Endpoint {
  'app'?: (string);
  'instance'?: (number);
  'taskId'?: (string);
  'nodeId'?: (string);
  'address'?: (string);
  'containerAddress'?: (string);
  'ports'?: (_berth_agent_v1_EndpointPort)[];
  'ready'?: (boolean);
}

export interface Endpoint__Output {
  'app': (string);
  'instance': (number);
  'taskId': (string);
  'nodeId': (string);
  'address': (string);
  'containerAddress': (string);
  'ports': (_berth_agent_v1_EndpointPort__Output)[];
  'ready': (boolean);
}
