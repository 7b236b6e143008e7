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

/**
 * Returns a deep copy of `value` with the value of every secret-looking key replaced by "[REDACTED]".
 * A secrets map keeps its key names (as `berth get secrets` shows them): which credentials arrived
 * in which call is what an operator debugging a driver needs, and names are not the secret.
 */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (SECRET_KEYS.some((s) => key.toLowerCase().includes(s.toLowerCase()))) {
      out[key] = isPlainMap(inner) ? Object.fromEntries(Object.keys(inner).map((k) => [k, '[REDACTED]'])) : '[REDACTED]';
    } else {
      out[key] = redact(inner);
    }
  }
  return out;
}

function isPlainMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value);
}
