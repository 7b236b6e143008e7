// Original file: proto/berth/agent.proto


export interface ExecRequest {
  'taskId'?: (string);
  'command'?: (string)[];
  'timeoutMs'?: (number);
}

export interface ExecRequest__Output {
  'taskId': (string);
  'command': (string)[];
  'timeoutMs': (number);
}
