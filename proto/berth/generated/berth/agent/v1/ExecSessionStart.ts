// Original file: proto/berth/agent.proto


export interface ExecSessionStart {
  'taskId'?: (string);
  'command'?: (string)[];
  'tty'?: (boolean);
  'stdin'?: (boolean);
  'cols'?: (number);
  'rows'?: (number);
}

export interface ExecSessionStart__Output {
  'taskId': (string);
  'command': (string)[];
  'tty': (boolean);
  'stdin': (boolean);
  'cols': (number);
  'rows': (number);
}
