// Original file: proto/berth/agent.proto


export interface TaskStop {
  'signal'?: (string);
  'gracePeriodSeconds'?: (number | string);
}

export interface TaskStop__Output {
  'signal': (string);
  'gracePeriodSeconds': (number);
}
