// Original file: proto/berth/agent.proto


export interface EndpointsRequest {
  'nodeId'?: (string);
  'waitMs'?: (number);
  'knownFingerprint'?: (string);
}

export interface EndpointsRequest__Output {
  'nodeId': (string);
  'waitMs': (number);
  'knownFingerprint': (string);
}
