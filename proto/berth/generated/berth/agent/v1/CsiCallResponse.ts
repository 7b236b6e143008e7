// Original file: proto/berth/agent.proto


export interface CsiCallResponse {
  'response'?: (Buffer | Uint8Array | string);
}

export interface CsiCallResponse__Output {
  'response': (Buffer);
}
