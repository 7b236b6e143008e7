import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { BerthError } from '../../lib/errors';
import { writeFileAtomic } from '../../lib/files/atomic-file';

/**
 * Encryption at rest for the records that hold secrets (Secret values, repository passphrases), the way
 * Kubernetes' `aescgm` provider seals Secrets in etcd: the whole record is stored as AES-256-GCM
 * ciphertext under a key kept outside the database — by default a 0600 file beside it, or a file the
 * operator supplies. A copy of the database alone (a backup, a stolen disk image of that file) gives
 * away no secret. Records in memory are plain: sealing happens only where a record meets SQLite.
 */
const PREFIX = 'berth-sealed:v1:';
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class RecordSealer {
  private constructor(
    private readonly key: Buffer,
    /** Where the key lives: named in errors (never the key itself). */
    readonly keyFile: string,
  ) {}

  /**
   * The key in `keyFile`, created (random, 0600) when the file does not exist and `mayCreate` says the
   * store holds nothing sealed yet — a new key could never open records sealed under a lost one.
   */
  static open(keyFile: string, mayCreate: () => boolean): RecordSealer {
    if (!existsSync(keyFile)) {
      if (!mayCreate()) {
        throw new BerthError(
          'failed_precondition',
          `the store holds sealed secrets but their key file ${keyFile} is missing: restore it (or pass the operator's key with --store-key-file)`,
        );
      }
      writeFileAtomic(keyFile, `${randomBytes(KEY_BYTES).toString('base64')}\n`, 0o600);
    }
    const key = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64');
    if (key.length !== KEY_BYTES)
      throw new BerthError('invalid_argument', `store key file ${keyFile}: expected ${KEY_BYTES} bytes of base64, found ${key.length}`);
    return new RecordSealer(key, keyFile);
  }

  static isSealed(body: string): boolean {
    return body.startsWith(PREFIX);
  }

  /** The stored form of a record's JSON: a fresh nonce per write, so equal records never look equal on disk. */
  seal(json: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    const sealed = Buffer.concat([nonce, cipher.update(json, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return PREFIX + sealed.toString('base64');
  }

  /** The record's JSON from its stored form; a plain body (written before sealing existed) is returned as it is. */
  open(body: string, what: string): string {
    if (!RecordSealer.isSealed(body)) return body;
    const raw = Buffer.from(body.slice(PREFIX.length), 'base64');
    if (raw.length < NONCE_BYTES + TAG_BYTES) throw this.cannotOpen(what);
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, NONCE_BYTES));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw this.cannotOpen(what);
    }
  }

  private cannotOpen(what: string): BerthError {
    return new BerthError('failed_precondition', `the store key in ${this.keyFile} does not open ${what}: it is not the key the store was sealed with`);
  }
}
