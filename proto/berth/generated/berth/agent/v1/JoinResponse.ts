// Original file: proto/berth/agent.proto


export interface JoinResponse {
  'nodeSecret'?: (string);
}

export interface JoinResponse__Output {
  'nodeSecret': (string);
}
