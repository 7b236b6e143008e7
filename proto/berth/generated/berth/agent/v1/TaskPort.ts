// Original file: proto/berth/agent.proto


export interface TaskPort {
  'name'?: (string);
  'hostPort'?: (number);
  'containerPort'?: (number);
}

export interface TaskPort__Output {
  'name': (string);
  'hostPort': (number);
  'containerPort': (number);
}
