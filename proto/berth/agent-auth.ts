import * as grpc from '@grpc/grpc-js';
import { timingSafeEqual } from 'node:crypto';

/**
 * The shared token between the server and its agents (the same one the HTTP API takes). Agents send it
 * on Sync; the server sends it on AgentNode calls (logs, exec). Without a token both ends listen on
 * loopback only: a Sync from anywhere could otherwise claim to be any node, and Exec runs commands.
 */
export function tokenMetadata(token: string | undefined): grpc.Metadata {
  const md = new grpc.Metadata();
  if (token) md.set('authorization', `Bearer ${token}`);
  return md;
}

export function tokenAccepted(expected: string | undefined, md: grpc.Metadata): boolean {
  if (!expected) return true;
  const given = String(md.get('authorization')[0] ?? '');
  const a = Buffer.from(`Bearer ${expected}`);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Refuses to listen beyond loopback without a token. */
export function assertListenAllowed(listen: string, token: string | undefined, what: string): void {
  const host = listen.slice(0, listen.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || host.startsWith('127.');
  if (!loopback && !token) throw new Error(`refusing to serve ${what} on ${host} without a token: pass --token (or BERTH_TOKEN)`);
}
