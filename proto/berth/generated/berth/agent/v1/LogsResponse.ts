// Original file: proto/berth/agent.proto


export interface LogsResponse {
  'logs'?: (string);
}

export interface LogsResponse__Output {
  'logs': (string);
}
