import { randomBytes } from 'node:crypto';

/** Instance i of an app is task `<app>-<i>` and gets claim `<app>/<volume>/<i>`: stable across restarts. */
export const taskIdOf = (app: string, instance: number): string => `${app}-${instance}`;
export const claimIdOf = (app: string, template: string, instance: number): string => `${app}/${template}/${instance}`;
export const newVolumeId = (): string => `v-${randomBytes(6).toString('hex')}`;
/** The CreateVolume name: fixed once in the volume's intent record, so a retried create returns the same volume. */
export const csiNameOf = (claimId: string): string => `berth-${claimId.replace(/\//g, '-')}-${randomBytes(3).toString('hex')}`;
/** Role of the static ledger reservation that keeps a volume's bytes while the volume exists (holder id: staticHolderId(node, role)). */
export const volumeRole = (volumeId: string): string => `volume-${volumeId}`;
/** A static reservation's role names a volume's pool bytes (not an operator's own role). */
export const isVolumeRole = (role: string | undefined): boolean => role?.startsWith('volume-') ?? false;

/** single-node-writer → SINGLE_NODE_WRITER (the CSI enum name). */
export const csiAccessMode = (mode: string): string => mode.toUpperCase().replace(/-/g, '_');
