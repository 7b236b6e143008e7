// Original file: proto/berth/agent.proto


export interface VolumeAttachment {
  'name'?: (string);
  'plugin'?: (string);
  'volumeId'?: (string);
  'mountPath'?: (string);
  'readOnly'?: (boolean);
  'block'?: (boolean);
  'fsType'?: (string);
  'accessMode'?: (string);
  'volumeContext'?: ({[key: string]: string});
  'publishContext'?: ({[key: string]: string});
  'stageSecrets'?: ({[key: string]: string});
  'publishSecrets'?: ({[key: string]: string});
  'mountFlags'?: (string)[];
  'createRequest'?: (Buffer | Uint8Array | string);
  'owner'?: (string);
}

export interface VolumeAttachment__Output {
  'name': (string);
  'plugin': (string);
  'volumeId': (string);
  'mountPath': (string);
  'readOnly': (boolean);
  'block': (boolean);
  'fsType': (string);
  'accessMode': (string);
  'volumeContext': ({[key: string]: string});
  'publishContext': ({[key: string]: string});
  'stageSecrets': ({[key: string]: string});
  'publishSecrets': ({[key: string]: string});
  'mountFlags': (string)[];
  'createRequest': (Buffer);
  'owner': (string);
}
