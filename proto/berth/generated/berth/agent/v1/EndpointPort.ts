// Original file: proto/berth/agent.proto


export interface EndpointPort {
  'name'?: (string);
  'port'?: (number);
  'containerPort'?: (number);
}

export interface EndpointPort__Output {
  'name': (string);
  'port': (number);
  'containerPort': (number);
}
