import { existsSync, readFileSync } from 'node:fs';
import { writeFile, rename, open } from 'node:fs/promises';
import { newSecret, secretHash, secretsEqual } from '../../lib/auth/secrets';

interface Entry {
  /** SHA-256 of the node's secret (its credential on Sync); the secret itself is only the agent's. */
  secretSha256: string;
  /** The secret the agent's node service takes: the server presents it, so it is kept as it is. */
  serviceSecret: string;
  joinedAt: string;
}

/** Why a Join was refused. */
export class JoinRefused extends Error {}

/**
 * Each joined node's credentials, in `<data-dir>/node-credentials.json` (0600). A node joins once with
 * the cluster's join token: it names its node-service secret and receives its node secret. A node id
 * that has joined cannot be joined again by another agent; only the same agent (proving it by its
 * node-service secret, e.g. retrying a Join whose answer it lost) gets a fresh node secret. Joins at
 * the same moment share one write, durable before any of them is answered.
 */
export class NodeCredentials {
  private readonly nodes = new Map<string, Entry>();
  private writing: Promise<void> = Promise.resolve();
  private pending: Promise<void> | undefined;

  constructor(private readonly path: string) {
    if (!existsSync(path)) return;
    const data = JSON.parse(readFileSync(path, 'utf8')) as { nodes?: Record<string, Entry> };
    for (const [id, e] of Object.entries(data.nodes ?? {})) this.nodes.set(id, e);
  }

  /** Registers `nodeId` with the agent's node-service secret; resolves to the node's secret once durable. */
  async join(nodeId: string, serviceSecret: string): Promise<string> {
    if (serviceSecret.length < 32) throw new JoinRefused('the node-service secret must be at least 32 characters');
    const known = this.nodes.get(nodeId);
    if (known && !secretsEqual(known.serviceSecret, serviceSecret)) {
      throw new JoinRefused(
        `node ${nodeId} has joined already with other credentials: start its agent with the state dir that holds them, or give this agent another --node-id`,
      );
    }
    const secret = newSecret();
    this.nodes.set(nodeId, { secretSha256: secretHash(secret), serviceSecret, joinedAt: new Date().toISOString() });
    await this.save();
    return secret;
  }

  /** Whether `secret` is `nodeId`'s; undefined when the node has not joined. */
  verify(nodeId: string, secret: string): boolean | undefined {
    const e = this.nodes.get(nodeId);
    if (!e) return undefined;
    return secret.length > 0 && secretsEqual(e.secretSha256, secretHash(secret));
  }

  /** What the server presents to `nodeId`'s node service; undefined for a node that has not joined. */
  serviceSecret(nodeId: string): string | undefined {
    return this.nodes.get(nodeId)?.serviceSecret;
  }

  /** Resolves once the file holds every change made before the call (one write for all waiting). */
  private save(): Promise<void> {
    if (this.pending) return this.pending;
    this.pending = this.writing.then(async () => {
      this.pending = undefined;
      await this.write();
    });
    this.writing = this.pending.catch(() => undefined);
    return this.pending;
  }

  private async write(): Promise<void> {
    const tmp = `${this.path}.tmp-${process.pid}`;
    await writeFile(tmp, `${JSON.stringify({ nodes: Object.fromEntries(this.nodes) }, null, 1)}\n`, { mode: 0o600 });
    const fd = await open(tmp, 'r+');
    try {
      await fd.sync();
    } finally {
      await fd.close();
    }
    await rename(tmp, this.path);
  }
}
