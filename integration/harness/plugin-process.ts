import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { CsiClient } from '../../volumes/csi-client/client';

export const BERTH_BIN = join(__dirname, '..', '..', 'cli', 'main.js');

export interface PluginProcess {
  client: CsiClient;
  child: ChildProcess;
  socket: string;
  /** Everything the plugin wrote to stderr (its pino log). */
  log(): string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit: a crash. */
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

/** Starts `berth plugin <args>` as its own process and resolves once its socket answers. */
export async function startPlugin(args: string[], socket: string, env: NodeJS.ProcessEnv = {}): Promise<PluginProcess> {
  const child = spawn(process.execPath, [BERTH_BIN, 'plugin', ...args, '--socket', socket], {
    env: { ...process.env, BERTH_LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const client = new CsiClient(socket, { timeoutMs: 60_000 });
  const ready = client.waitReady(30_000);
  const early = exited.then((code) => {
    throw new Error(`plugin exited with ${code} before serving:\n${stderr}`);
  });
  await Promise.race([ready, early]);
  early.catch(() => undefined);
  return {
    client,
    child,
    socket,
    exited,
    log: () => stderr,
    async stop() {
      client.close();
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      client.close();
      child.kill('SIGKILL');
      await exited;
    },
  };
}
