import { join } from 'node:path';
import { ensureSecretFile } from '../lib/auth/secrets';
import { NodeCredentials } from './agents/node-credentials';

/** In the server's data dir: the admin token of the API, made at first start (0600). */
export const API_TOKEN_FILE = 'api-token';
/** In the server's data dir: the token agents join with, made at first start (0600). */
export const JOIN_TOKEN_FILE = 'join-token';
/** In the server's data dir: each joined node's secret hash and node-service secret (0600). */
export const NODE_CREDENTIALS_FILE = 'node-credentials.json';

export interface ServerCredentials {
  /** Tokens the API takes: the data dir's own, and the operator's (--token-file or BERTH_TOKEN) when given. */
  apiTokens: string[];
  joinToken: string;
  nodes: NodeCredentials;
}

/** The server's credentials, the files made at first start (data dir 0700 when it is made here). */
export function openServerCredentials(dataDir: string, operatorToken?: string): ServerCredentials {
  const own = ensureSecretFile(join(dataDir, API_TOKEN_FILE));
  return {
    apiTokens: operatorToken && operatorToken !== own ? [own, operatorToken] : [own],
    joinToken: ensureSecretFile(join(dataDir, JOIN_TOKEN_FILE)),
    nodes: new NodeCredentials(join(dataDir, NODE_CREDENTIALS_FILE)),
  };
}
