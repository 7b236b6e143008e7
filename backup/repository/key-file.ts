import { randomBytes } from 'node:crypto';
import { Backend, ObjectExistsError } from './backend';
import { DEFAULT_CHUNKER, ChunkerOptions } from './chunker';
import { AuthenticationError, deriveKey, KdfParams, MasterKey, masterKeyBytes, masterKeyFromBytes, newKdfParams, newMasterKey, open, seal } from './crypto';
import { CorruptObjectError, RepositoryExistsError, RepositoryNotFoundError, UnsupportedFormatError, WrongPassphraseError } from './errors';

/**
 * Keys and config.
 *
 * - `keys/<id>`: plaintext JSON with the format version, the scrypt parameters and salt, and the
 *   master key sealed under the passphrase-derived key. Several key files may exist (one per
 *   passphrase); any one opens the repository. A wrong passphrase fails GCM authentication.
 * - `config`: sealed with the master key: format version, repository id, chunker settings. Its
 *   presence is what makes a location a repository; it is written last by `init`, with
 *   create-if-absent semantics, so two racing inits cannot both win.
 */

export const FORMAT_VERSION = 1;

export interface RepositoryConfig {
  formatVersion: number;
  repositoryId: string;
  createdAt: string;
  chunker: ChunkerOptions;
  /** Size of the fixed blocks a block-device volume is cut into on a full backup. */
  blockChunkSize: number;
}

interface KeyFile {
  formatVersion: number;
  createdAt: string;
  kdf: KdfParams;
  /** base64 of the sealed 64-byte master key. */
  masterKey: string;
}

export async function initRepositoryKeys(
  backend: Backend,
  passphrase: string,
  overrides: Partial<Pick<RepositoryConfig, 'chunker' | 'blockChunkSize'>> = {},
): Promise<{ key: MasterKey; config: RepositoryConfig }> {
  if (await backend.exists('config')) throw new RepositoryExistsError(backend.location);
  const key = newMasterKey();
  const kdf = newKdfParams();
  const keyFile: KeyFile = {
    formatVersion: FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    kdf,
    masterKey: seal(await deriveKey(passphrase, kdf), 'key', masterKeyBytes(key)).toString('base64'),
  };
  await backend.write(`keys/${randomBytes(16).toString('hex')}`, Buffer.from(JSON.stringify(keyFile, null, 2)));
  const config: RepositoryConfig = {
    formatVersion: FORMAT_VERSION,
    repositoryId: randomBytes(16).toString('hex'),
    createdAt: new Date().toISOString(),
    chunker: overrides.chunker ?? DEFAULT_CHUNKER,
    blockChunkSize: overrides.blockChunkSize ?? 1024 * 1024,
  };
  try {
    await backend.create('config', seal(key.dataKey, 'config', Buffer.from(JSON.stringify(config))));
  } catch (error) {
    if (error instanceof ObjectExistsError) throw new RepositoryExistsError(backend.location);
    throw error;
  }
  return { key, config };
}

export async function openRepositoryKeys(backend: Backend, passphrase: string): Promise<{ key: MasterKey; config: RepositoryConfig }> {
  if (!(await backend.exists('config'))) throw new RepositoryNotFoundError(backend.location);
  const keyNames = await backend.list('keys');
  let key: MasterKey | undefined;
  for (const name of keyNames) {
    let keyFile: KeyFile;
    try {
      keyFile = JSON.parse((await backend.read(name)).toString('utf8')) as KeyFile;
    } catch {
      continue; // an unreadable key file cannot be ours; check reports it
    }
    if (keyFile.formatVersion !== FORMAT_VERSION) throw new UnsupportedFormatError(backend.location, keyFile.formatVersion);
    try {
      const kek = await deriveKey(passphrase, keyFile.kdf);
      key = masterKeyFromBytes(open(kek, 'key', Buffer.from(keyFile.masterKey, 'base64')));
      break;
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
    }
  }
  if (!key) throw new WrongPassphraseError(backend.location);
  let config: RepositoryConfig;
  try {
    config = JSON.parse(open(key.dataKey, 'config', await backend.read('config')).toString('utf8')) as RepositoryConfig;
  } catch (error) {
    throw new CorruptObjectError('config', error instanceof AuthenticationError ? 'authentication failed' : String(error));
  }
  if (config.formatVersion !== FORMAT_VERSION) throw new UnsupportedFormatError(backend.location, config.formatVersion);
  return { key, config };
}
