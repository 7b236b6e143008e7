import { createCipheriv, createDecipheriv, createHmac, randomBytes, scrypt as scryptCallback, ScryptOptions } from 'node:crypto';

/**
 * The repository's cryptography, all from node:crypto (OpenSSL):
 * - a random 64-byte master key: 32 bytes AES-256-GCM data key + 32 bytes HMAC-SHA256 id key;
 * - the master key itself is stored encrypted under a key derived from the passphrase with scrypt;
 * - every stored object is sealed as nonce(12) ‖ ciphertext ‖ tag(16) with a fresh random nonce;
 * - chunk ids are HMAC-SHA256(id key, plaintext), so ids reveal nothing about the content to anyone
 *   without the key (a plain SHA-256 would let an observer confirm a guessed file).
 * The AAD ("purpose") binds a sealed object to its role, so an index cannot be passed off as a manifest;
 * for blobs the AAD also holds the blob's id, so a blob that authenticates is proven to be the blob
 * with that id (the writer derived the id from the plaintext) without re-hashing it on restore.
 */

export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const SEAL_OVERHEAD = NONCE_BYTES + TAG_BYTES;
export const ID_BYTES = 32;

export type SealPurpose = 'key' | 'config' | 'blob' | 'pack-header' | 'index' | 'manifest';

export interface MasterKey {
  /** AES-256-GCM key for every sealed object. */
  dataKey: Buffer;
  /** HMAC-SHA256 key for chunk ids and the chunker's gear table. */
  idKey: Buffer;
}

export class AuthenticationError extends Error {
  constructor() {
    super('authentication failed (wrong key, or the data was damaged)');
    this.name = 'AuthenticationError';
  }
}

export function newMasterKey(): MasterKey {
  const bytes = randomBytes(64);
  return { dataKey: bytes.subarray(0, 32), idKey: bytes.subarray(32, 64) };
}

export function masterKeyBytes(key: MasterKey): Buffer {
  return Buffer.concat([key.dataKey, key.idKey]);
}

export function masterKeyFromBytes(bytes: Buffer): MasterKey {
  if (bytes.length !== 64) throw new AuthenticationError();
  return { dataKey: Buffer.from(bytes.subarray(0, 32)), idKey: Buffer.from(bytes.subarray(32, 64)) };
}

/** scrypt parameters as stored in a key file. N=2^15, r=8 costs 32 MiB and ~0.1 s: the usual interactive setting. */
export interface KdfParams {
  algorithm: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string; // base64
}

export function newKdfParams(): KdfParams {
  return { algorithm: 'scrypt', N: 1 << 15, r: 8, p: 1, salt: randomBytes(32).toString('base64') };
}

export function deriveKey(passphrase: string, params: KdfParams): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + (1 << 20) };
  return new Promise((resolve, reject) =>
    scryptCallback(passphrase.normalize('NFC'), Buffer.from(params.salt, 'base64'), 32, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** Encrypts and authenticates; returns the pieces to write (no copy of the ciphertext). */
export function sealParts(key: Buffer, purpose: SealPurpose, plaintext: Buffer, boundTo?: Buffer): Buffer[] {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad(purpose, boundTo));
  const body = cipher.update(plaintext);
  const last = cipher.final();
  const parts = [nonce, body];
  if (last.length > 0) parts.push(last);
  parts.push(cipher.getAuthTag());
  return parts;
}

export function seal(key: Buffer, purpose: SealPurpose, plaintext: Buffer, boundTo?: Buffer): Buffer {
  return Buffer.concat(sealParts(key, purpose, plaintext, boundTo));
}

function aad(purpose: SealPurpose, boundTo: Buffer | undefined): Buffer {
  const label = Buffer.from(`berth/${purpose}`);
  return boundTo ? Buffer.concat([label, boundTo]) : label;
}

/** Decrypts and verifies; throws AuthenticationError on any damage. */
export function open(key: Buffer, purpose: SealPurpose, sealed: Buffer, boundTo?: Buffer): Buffer {
  if (sealed.length < SEAL_OVERHEAD) throw new AuthenticationError();
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(aad(purpose, boundTo));
  decipher.setAuthTag(tag);
  const body = decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES));
  try {
    const last = decipher.final();
    return last.length > 0 ? Buffer.concat([body, last]) : body;
  } catch {
    throw new AuthenticationError();
  }
}

/** The content id of a chunk or tree blob: keyed, so it leaks no plaintext hash. */
export function blobId(idKey: Buffer, plaintext: Buffer): Buffer {
  return createHmac('sha256', idKey).update(plaintext).digest();
}
