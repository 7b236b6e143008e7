import { randomBytes } from 'node:crypto';

/** Volume and snapshot ids are minted here, so their shape is known and safe to use as a file name. */
export const newVolumeId = (): string => `vol-${randomBytes(8).toString('hex')}`;
export const newSnapshotId = (): string => `snap-${randomBytes(8).toString('hex')}`;

export const VOLUME_ID = /^vol-[0-9a-f]{16}$/;
export const SNAPSHOT_ID = /^snap-[0-9a-f]{16}$/;
