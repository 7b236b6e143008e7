// Original file: proto/berth/agent.proto


export interface CsiCallRequest {
  'plugin'?: (string);
  'methodPath'?: (string);
  'request'?: (Buffer | Uint8Array | string);
  'timeoutMs'?: (number);
}

export interface CsiCallRequest__Output {
  'plugin': (string);
  'methodPath': (string);
  'request': (Buffer);
  'timeoutMs': (number);
}
