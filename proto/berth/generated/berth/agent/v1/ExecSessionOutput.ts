// Original file: proto/berth/agent.proto


export interface ExecSessionOutput {
  'stdout'?: (Buffer | Uint8Array | string);
  'stderr'?: (Buffer | Uint8Array | string);
  'exited'?: (boolean);
  'exitCode'?: (number);
}

export interface ExecSessionOutput__Output {
  'stdout': (Buffer);
  'stderr': (Buffer);
  'exited': (boolean);
  'exitCode': (number);
}
