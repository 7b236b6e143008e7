import { isIP } from 'node:net';

/**
 * Rendering of the nfs-ganesha configuration this plugin owns. The file is generated whole from the
 * plugin's state on every change (never edited in place), and every value placed in it is checked
 * against a strict shape right here — whatever a caller validated before — so a volume name, parameter
 * or node id can never add a line, a block or a quote to the config.
 */

export type Squash = 'No_Root_Squash' | 'Root_Squash' | 'All_Squash';
export const SQUASH_VALUES: Readonly<Record<string, Squash>> = {
  no_root_squash: 'No_Root_Squash',
  root_squash: 'Root_Squash',
  all_squash: 'All_Squash',
};

export interface ExportClient {
  address: string;
  readOnly: boolean;
}

export interface ExportSpec {
  /** ganesha's Export_Id: 1..65535, unique per export (0 is the pseudo-fs root). */
  exportId: number;
  /** Directory exported; also used as the NFSv4 Pseudo path, so NFSv3 and NFSv4 clients mount the same path. */
  path: string;
  squash: Squash;
  /** Addresses allowed in; everyone else gets Access_Type = None. */
  clients: ExportClient[];
}

export interface CoreSpec {
  bindAddress: string;
  nfsPort: number;
  mountPort: number;
  recoveryRoot: string;
}

/** Absolute paths made of a conservative alphabet only: no spaces, quotes, braces, ';', '#', newlines or '..'. */
const SAFE_PATH = /^\/[A-Za-z0-9._+/-]*$/;

export function isSafeConfigPath(p: string): boolean {
  return SAFE_PATH.test(p) && !p.split('/').includes('..');
}

function checkPath(p: string, what: string): string {
  if (!isSafeConfigPath(p)) throw new Error(`refusing to write ${what} ${JSON.stringify(p)} into the ganesha config`);
  return p;
}

function checkAddress(a: string, what: string): string {
  if (isIP(a) === 0) throw new Error(`refusing to write ${what} ${JSON.stringify(a)} into the ganesha config: not an IP address`);
  return a;
}

function checkPort(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`invalid ${what} ${n}`);
  return n;
}

export function renderExport(e: ExportSpec): string {
  if (!Number.isInteger(e.exportId) || e.exportId < 1 || e.exportId > 65535) throw new Error(`invalid Export_Id ${e.exportId}`);
  if (!Object.values(SQUASH_VALUES).includes(e.squash)) throw new Error(`invalid squash ${JSON.stringify(e.squash)}`);
  const path = checkPath(e.path, 'export path');
  // One CLIENT block per access level; a read-write grant for an address wins over a read-only one.
  const rw = [...new Set(e.clients.filter((c) => !c.readOnly).map((c) => checkAddress(c.address, 'client')))].sort();
  const ro = [...new Set(e.clients.filter((c) => c.readOnly).map((c) => checkAddress(c.address, 'client')))].filter((a) => !rw.includes(a)).sort();
  const lines = [
    'EXPORT {',
    `  Export_Id = ${e.exportId};`,
    `  Path = "${path}";`,
    `  Pseudo = "${path}";`,
    '  Protocols = 3, 4;',
    '  Transports = TCP;',
    '  Access_Type = None;',
    `  Squash = ${e.squash};`,
    '  SecType = sys;',
    '  FSAL { Name = VFS; }',
  ];
  if (rw.length > 0) lines.push(`  CLIENT { Clients = ${rw.join(', ')}; Access_Type = RW; }`);
  if (ro.length > 0) lines.push(`  CLIENT { Clients = ${ro.join(', ')}; Access_Type = RO; }`);
  lines.push('}');
  return lines.join('\n');
}

export function renderConfig(core: CoreSpec, exports: ExportSpec[]): string {
  const ids = new Set<number>();
  for (const e of exports) {
    if (ids.has(e.exportId)) throw new Error(`Export_Id ${e.exportId} is used twice`);
    ids.add(e.exportId);
  }
  return [
    '# Written by the berth.nfs CSI plugin. Do not edit: it is regenerated from the plugin state on every change.',
    'NFS_CORE_PARAM {',
    `  Bind_addr = ${checkAddress(core.bindAddress, 'Bind_addr')};`,
    `  NFS_Port = ${checkPort(core.nfsPort, 'NFS_Port')};`,
    `  MNT_Port = ${checkPort(core.mountPort, 'MNT_Port')};`,
    '  Protocols = 3, 4;',
    '  Enable_NLM = false;',
    '  Enable_RQUOTA = false;',
    '  Enable_UDP = false;',
    '}',
    'NFSV4 {',
    '  Graceless = true;',
    '  RecoveryBackend = fs;',
    `  RecoveryRoot = "${checkPath(core.recoveryRoot, 'RecoveryRoot')}";`,
    '}',
    'LOG { Default_Log_Level = EVENT; }',
    ...[...exports].sort((a, b) => a.exportId - b.exportId).map(renderExport),
    '',
  ].join('\n');
}
