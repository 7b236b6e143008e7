import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A CSI plugin registered on this node: a JSON file in the agent's registration directory (the same idea
 * as kubelet's plugin registration). Any CSI driver — Berth's or a vendor's — is registered this way.
 *
 *   { "endpoint": "unix:///run/berth/local.sock", "pools": [{ "name": "fast", "parameters": { "pool": "fast" } }] }
 *
 * `pools` names the GetCapacity queries that describe the node's storage pools for this plugin; a plugin
 * without pools is reported with one pool named "default" queried without parameters.
 */
export interface PluginRegistration {
  file: string;
  endpoint: string;
  pools: { name: string; parameters: Record<string, string> }[];
}

export interface RegistrationProblem {
  file: string;
  problem: string;
}

const POOL_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

function parseRegistration(file: string, text: string): PluginRegistration {
  const data = JSON.parse(text) as unknown;
  if (typeof data !== 'object' || data === null) throw new Error('expected a JSON object');
  const obj = data as Record<string, unknown>;
  if (typeof obj.endpoint !== 'string' || obj.endpoint === '') throw new Error('endpoint: expected a non-empty string');
  const pools: PluginRegistration['pools'] = [];
  if (obj.pools !== undefined) {
    if (!Array.isArray(obj.pools)) throw new Error('pools: expected a list');
    obj.pools.forEach((p: unknown, i: number) => {
      const pool = p as { name?: unknown; parameters?: unknown };
      if (typeof pool?.name !== 'string' || !POOL_NAME.test(pool.name)) throw new Error(`pools[${i}].name: expected a lower-case name`);
      const parameters = (pool.parameters ?? {}) as Record<string, unknown>;
      for (const [k, v] of Object.entries(parameters)) if (typeof v !== 'string') throw new Error(`pools[${i}].parameters.${k}: expected a string`);
      pools.push({ name: pool.name, parameters: parameters as Record<string, string> });
    });
  }
  return { file, endpoint: obj.endpoint, pools: pools.length > 0 ? pools : [{ name: 'default', parameters: {} }] };
}

/** Reads every registration; a broken file is reported, never fatal (other plugins keep working). */
export function readRegistrations(dir: string): { plugins: PluginRegistration[]; problems: RegistrationProblem[] } {
  const plugins: PluginRegistration[] = [];
  const problems: RegistrationProblem[] = [];
  if (!existsSync(dir)) return { plugins, problems };
  for (const name of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const file = join(dir, name);
    try {
      plugins.push(parseRegistration(file, readFileSync(file, 'utf8')));
    } catch (error) {
      problems.push({ file, problem: error instanceof Error ? error.message : String(error) });
    }
  }
  return { plugins, problems };
}
