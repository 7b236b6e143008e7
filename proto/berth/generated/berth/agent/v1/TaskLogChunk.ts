// Original file: proto/berth/agent.proto


export interface TaskLogChunk {
  'data'?: (Buffer | Uint8Array | string);
}

export interface TaskLogChunk__Output {
  'data': (Buffer);
}
