/**
 * Turns dockerode's errors (HTTP status on `statusCode`, socket errors on `code`) into facts the
 * executor can branch on, and into Berth errors that say what happened in words.
 */
import { BerthError } from '../../core/domain/errors';
import { RuntimeError, RuntimeUnavailableError } from './errors';

interface DockerishError {
  readonly statusCode?: number;
  readonly code?: string;
  readonly message?: string;
  readonly json?: { readonly message?: string } | null;
}

const CONNECTION_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EACCES', 'EPIPE', 'ETIMEDOUT']);

export function httpStatus(error: unknown): number | undefined {
  const code = (error as DockerishError | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** The daemon's own message ("No such image: x") rather than dockerode's "(HTTP code 404) …" prefix. */
export function dockerMessage(error: unknown): string {
  const e = error as DockerishError | null;
  const fromJson = e?.json && typeof e.json === 'object' ? e.json.message : undefined;
  return (fromJson ?? e?.message ?? String(error)).trim();
}

/** Runs one docker operation; anything not already a Berth error becomes a readable one. */
export async function guard<T>(socketPath: string, operation: string, taskId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof BerthError) throw error;
    const code = (error as DockerishError | null)?.code;
    if (code && CONNECTION_CODES.has(code)) {
      throw new RuntimeUnavailableError('docker', `cannot reach dockerd at ${socketPath} (${code})`, { socketPath, operation, taskId });
    }
    throw new RuntimeError(operation, taskId, dockerMessage(error));
  }
}
