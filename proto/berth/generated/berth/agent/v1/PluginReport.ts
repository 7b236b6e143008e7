// Original file: proto/berth/agent.proto

import type { PoolReport as _berth_agent_v1_PoolReport, PoolReport__Output as _berth_agent_v1_PoolReport__Output } from '../../../berth/agent/v1/PoolReport';
import type { Long } from '@grpc/proto-loader';

export interface PluginReport {
  'name'?: (string);
  'endpoint'?: (string);
  'healthy'?: (boolean);
  'error'?: (string);
  'topology'?: ({[key: string]: string});
  'csiNodeId'?: (string);
  'maxVolumes'?: (number | string | Long);
  'pools'?: (_berth_agent_v1_PoolReport)[];
  'pluginCapabilities'?: (string)[];
  'controllerCapabilities'?: (string)[];
  'nodeCapabilities'?: (string)[];
}

export interface PluginReport__Output {
  'name': (string);
  'endpoint': (string);
  'healthy': (boolean);
  'error': (string);
  'topology': ({[key: string]: string});
  'csiNodeId': (string);
  'maxVolumes': (string);
  'pools': (_berth_agent_v1_PoolReport__Output)[];
  'pluginCapabilities': (string)[];
  'controllerCapabilities': (string)[];
  'nodeCapabilities': (string)[];
}
