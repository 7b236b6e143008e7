// Original file: proto/berth/agent.proto


export interface RepositoryAccess {
  'location'?: (string);
  'passphrase'?: (string);
}

export interface RepositoryAccess__Output {
  'location': (string);
  'passphrase': (string);
}
