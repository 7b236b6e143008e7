import * as grpc from '@grpc/grpc-js';
import { secretsEqual } from '../../lib/auth/secrets';

/**
 * Credentials between the server and its agents travel as `authorization: Bearer <secret>` metadata:
 * the join token on Join, the node's own secret on Sync (agent → server), and the node-service
 * secret the agent made on every AgentNode call (server → agent). See agent.proto.
 */
export function bearerMetadata(secret: string | undefined): grpc.Metadata {
  const md = new grpc.Metadata();
  if (secret) md.set('authorization', `Bearer ${secret}`);
  return md;
}

/** The secret a call carries ('' when none); the scheme is case-insensitive (RFC 7235). */
export function bearerOf(md: grpc.Metadata): string {
  const header = String(md.get('authorization')[0] ?? '');
  return /^bearer +/i.test(header) ? header.replace(/^bearer +/i, '') : '';
}

/** Whether a call carries `expected`; never true when nothing is expected. */
export function bearerMatches(expected: string | undefined, md: grpc.Metadata): boolean {
  return !!expected && secretsEqual(expected, bearerOf(md));
}
