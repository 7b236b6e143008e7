import { randomBytes } from 'node:crypto';

/** Volume and snapshot ids are minted here, so their shape is known and safe in a path and in ganesha's config. */
export const newVolumeId = (): string => `nfsvol-${randomBytes(8).toString('hex')}`;
export const newSnapshotId = (): string => `nfssnap-${randomBytes(8).toString('hex')}`;

export const VOLUME_ID = /^nfsvol-[0-9a-f]{16}$/;
export const SNAPSHOT_ID = /^nfssnap-[0-9a-f]{16}$/;
