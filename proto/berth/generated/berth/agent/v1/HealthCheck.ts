// Original file: proto/berth/agent.proto


export interface HealthCheck {
  'kind'?: (string);
  'command'?: (string)[];
  'port'?: (number);
  'path'?: (string);
  'intervalSeconds'?: (number);
  'timeoutSeconds'?: (number);
  'failureThreshold'?: (number);
  'successThreshold'?: (number);
  'initialDelaySeconds'?: (number);
}

export interface HealthCheck__Output {
  'kind': (string);
  'command': (string)[];
  'port': (number);
  'path': (string);
  'intervalSeconds': (number);
  'timeoutSeconds': (number);
  'failureThreshold': (number);
  'successThreshold': (number);
  'initialDelaySeconds': (number);
}
