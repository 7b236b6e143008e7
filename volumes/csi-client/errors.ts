import { status } from '@grpc/grpc-js';

/**
 * A failed CSI call: which plugin, which method, the gRPC status and the plugin's message, in one readable
 * line ("berth.local CreateVolume: RESOURCE_EXHAUSTED: pool ssd has 40 bytes free…"). `code` lets callers
 * branch on the status the CSI spec assigns a meaning to (NOT_FOUND, ALREADY_EXISTS, ABORTED, …).
 */
export class CsiCallError extends Error {
  readonly codeName: string;
  constructor(
    readonly endpoint: string,
    readonly method: string,
    readonly code: status,
    readonly details: string,
  ) {
    super(`${method} on ${endpoint}: ${status[code] ?? code}: ${details}`);
    this.name = 'CsiCallError';
    this.codeName = status[code] ?? String(code);
  }

  /** Worth retrying later: the plugin asked for it (ABORTED, UNAVAILABLE) or the deadline passed. */
  get retryable(): boolean {
    return this.code === status.ABORTED || this.code === status.UNAVAILABLE || this.code === status.DEADLINE_EXCEEDED;
  }
}
