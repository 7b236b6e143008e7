// Original file: proto/berth/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface PoolReport {
  'name'?: (string);
  'availableBytes'?: (number | string | Long);
  'parameters'?: ({[key: string]: string});
  'reportedAtMs'?: (number | string | Long);
}

export interface PoolReport__Output {
  'name': (string);
  'availableBytes': (string);
  'parameters': ({[key: string]: string});
  'reportedAtMs': (string);
}
