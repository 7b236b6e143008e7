// Original file: proto/berth/agent.proto


export interface LogsRequest {
  'taskId'?: (string);
  'tail'?: (number);
}

export interface LogsRequest__Output {
  'taskId': (string);
  'tail': (number);
}
