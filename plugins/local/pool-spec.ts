/** How a pool was given on the command line: `NAME=PATH`, `NAME=file:PATH:SIZE` or `NAME=dir:PATH`. */
export type PoolSpec =
  | { name: string; kind: 'btrfs'; path: string }
  | { name: string; kind: 'btrfs-file'; image: string; sizeBytes: number }
  | { name: string; kind: 'dir'; path: string };

const POOL_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Parses sizes such as 512M, 4G, 1Gi, 1048576. */
export function parseSize(text: string): number {
  const m = /^(\d+)([kmgt]?)(i?b?)?$/i.exec(text.trim());
  if (!m) throw new Error(`invalid size ${JSON.stringify(text)} (expected e.g. 512M, 4G, 1Gi)`);
  return Number(m[1]) * UNITS[m[2].toLowerCase()];
}

export function parsePoolSpec(text: string): PoolSpec {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new Error(`invalid pool ${JSON.stringify(text)}: expected NAME=PATH, NAME=file:PATH:SIZE or NAME=dir:PATH`);
  const name = text.slice(0, eq);
  const rest = text.slice(eq + 1);
  if (!POOL_NAME.test(name)) throw new Error(`invalid pool name ${JSON.stringify(name)}: lower-case letters, digits and '-'`);
  if (rest.startsWith('file:')) {
    const body = rest.slice('file:'.length);
    const colon = body.lastIndexOf(':');
    if (colon <= 0) throw new Error(`invalid pool ${JSON.stringify(text)}: expected NAME=file:PATH:SIZE`);
    return { name, kind: 'btrfs-file', image: absolute(body.slice(0, colon), text), sizeBytes: parseSize(body.slice(colon + 1)) };
  }
  if (rest.startsWith('dir:')) return { name, kind: 'dir', path: absolute(rest.slice('dir:'.length), text) };
  return { name, kind: 'btrfs', path: absolute(rest, text) };
}

function absolute(p: string, spec: string): string {
  if (!p.startsWith('/')) throw new Error(`invalid pool ${JSON.stringify(spec)}: path must be absolute`);
  return p.replace(/\/+$/, '') || '/';
}
