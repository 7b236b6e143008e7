import pino, { Logger } from 'pino';

export type { Logger };

/**
 * Keys whose values are never written to a log, wherever they appear in a request or response.
 * CSI carries credentials in `secrets` maps (CreateVolumeRequest.secrets, NodeStageVolumeRequest.secrets, …);
 * the others catch secrets that travel in parameters or contexts by convention.
 */
export const SECRET_KEYS = ['secrets', 'password', 'passphrase', 'token', 'chapSecret', 'privateKey'];

export function createLogger(name: string, level = process.env.BERTH_LOG_LEVEL ?? 'info'): Logger {
  // Logs go to stderr so a plugin's stdout stays free for machine-readable output.
  return pino({ name, level }, pino.destination(2));
}

/** Returns a deep copy of `value` with every secret-looking key replaced by "[REDACTED]". */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (SECRET_KEYS.some((s) => key.toLowerCase().includes(s.toLowerCase()))) {
      out[key] = '[REDACTED]';
    } else {
      out[key] = redact(inner);
    }
  }
  return out;
}
