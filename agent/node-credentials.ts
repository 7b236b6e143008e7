import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newSecret } from '../lib/auth/secrets';
import { writeFileAtomic } from '../lib/files/atomic-file';

/** In the agent's state dir (0600): the node's secret from its Join, and the secret its node service takes. */
export const AGENT_CREDENTIALS_FILE = 'node-credentials.json';

export interface AgentCredentials {
  nodeId: string;
  /** The node's credential on Sync, from the server's answer to Join; undefined until joined. */
  nodeSecret?: string;
  /** Made here: the server presents it on every AgentNode call, and nobody else has it. */
  serviceSecret: string;
}

/**
 * This node's credentials as the state dir keeps them; fresh ones (not joined, a new node-service
 * secret) when there are none, or when they are another node id's (the agent was started with another --node-id).
 */
export function loadAgentCredentials(stateDir: string, nodeId: string): AgentCredentials {
  const path = join(stateDir, AGENT_CREDENTIALS_FILE);
  if (existsSync(path)) {
    const saved = JSON.parse(readFileSync(path, 'utf8')) as Partial<AgentCredentials>;
    if (saved.nodeId === nodeId && typeof saved.serviceSecret === 'string') return { nodeId, nodeSecret: saved.nodeSecret, serviceSecret: saved.serviceSecret };
  }
  return { nodeId, serviceSecret: newSecret() };
}

export function saveAgentCredentials(stateDir: string, credentials: AgentCredentials): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeFileAtomic(join(stateDir, AGENT_CREDENTIALS_FILE), `${JSON.stringify(credentials)}\n`, 0o600);
}
