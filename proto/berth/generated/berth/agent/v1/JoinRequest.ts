// Original file: proto/berth/agent.proto


export interface JoinRequest {
  'nodeId'?: (string);
  'nodeServiceSecret'?: (string);
}

export interface JoinRequest__Output {
  'nodeId': (string);
  'nodeServiceSecret': (string);
}
