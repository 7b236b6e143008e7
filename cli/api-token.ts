import { homedir } from 'node:os';
import { join } from 'node:path';
import { readSecretFile } from '../lib/auth/secrets';
import { API_TOKEN_FILE } from '../server/credentials';
import { UsageError } from './output';

/** Where the CLI found its API token, or where it looked in vain. */
export interface TokenLookup {
  token?: string;
  /** Each place tried, in order, with what was there: `BERTH_TOKEN (unset)`, `/var/lib/berth/server/api-token (permission denied)`… */
  looked: string[];
}

export interface TokenPlaces {
  /** --token-file: when given, the only place, and it must hold a token. */
  tokenFile?: string;
  /** The data dir of `berth up` or `berth server` (--data-dir). */
  dataDir: string;
  env: NodeJS.ProcessEnv;
  home?: string;
}

/** The config file a user keeps a token in: $XDG_CONFIG_HOME/berth/token, else ~/.config/berth/token. */
export function configTokenFile(env: NodeJS.ProcessEnv, home = homedir()): string {
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'berth', 'token');
}

function why(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'absent';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}

/**
 * The API token, from the first of: --token-file, BERTH_TOKEN, the config file, the server's own
 * token file in the data dir (`<data-dir>/server/api-token` as `berth up` lays it out, or
 * `<data-dir>/api-token` for a server's own data dir) — readable only by who may administer the server.
 */
export function findApiToken(places: TokenPlaces): TokenLookup {
  if (places.tokenFile) {
    try {
      return { token: readSecretFile(places.tokenFile), looked: [`--token-file ${places.tokenFile}`] };
    } catch (error) {
      throw new UsageError(`--token-file ${places.tokenFile}: ${why(error)}`);
    }
  }
  const looked: string[] = [];
  const fromEnv = places.env.BERTH_TOKEN?.trim();
  if (fromEnv) return { token: fromEnv, looked: ['BERTH_TOKEN'] };
  looked.push('BERTH_TOKEN (unset)');
  const files = [configTokenFile(places.env, places.home), join(places.dataDir, 'server', API_TOKEN_FILE), join(places.dataDir, API_TOKEN_FILE)];
  for (const file of files) {
    try {
      return { token: readSecretFile(file), looked: [...looked, file] };
    } catch (error) {
      looked.push(`${file} (${why(error)})`);
    }
  }
  return { looked };
}
