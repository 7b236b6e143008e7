// Original file: proto/berth/agent.proto


export interface ExecResponse {
  'exitCode'?: (number);
  'output'?: (string);
}

export interface ExecResponse__Output {
  'exitCode': (number);
  'output': (string);
}
