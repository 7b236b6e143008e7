/**
 * Agent features (SyncRequest.features): what an agent can do beyond the base protocol, so a newer
 * server hands it that work and an older agent simply never gets it.
 */

/** The agent creates node-local volumes handed to it in VolumeAttachment.create_request. */
export const CREATES_VOLUMES = 'create-volumes';

/** The agent understands TaskAssignment.prepare_only (creates the container ahead, starts nothing). */
export const PREPARES_TASKS = 'prepare-tasks';
