/**
 * Bounds on what one manifest may ask for. Each keeps a single object's cost (validation, the
 * records it becomes, the work of a reconcile pass) small enough that no input can stall the server;
 * each is named in the message that refuses it. MAX_INSTANCES lives in types.ts beside AppSpec.
 */

/** Manifest text accepted by `apply` (the CLI checks it before sending; the server's body limit is above it). */
export const MAX_MANIFEST_MB = 2;
export const MAX_MANIFEST_BYTES = MAX_MANIFEST_MB * 1024 * 1024;

/** Documents (or items of a JSON array) in one manifest. */
export const MAX_DOCUMENTS = 1000;

/** Volume templates of one app: each instance mounts every one, and each is a claim per instance. */
export const MAX_VOLUMES_PER_APP = 64;

/** Environment variables of one app. */
export const MAX_ENV_ENTRIES = 1000;

/** Length of one environment variable name. */
export const MAX_ENV_NAME_LENGTH = 256;

/** Arguments of an app's command or of a hook. */
export const MAX_COMMAND_ARGS = 1000;

/** Length of one argument or environment value: Linux's limit for one string passed to exec (MAX_ARG_STRLEN). */
export const MAX_STRING_LENGTH = 128 * 1024;

/** Placement constraints of one app, and values of one constraint. */
export const MAX_CONSTRAINTS = 64;
export const MAX_CONSTRAINT_VALUES = 256;

/** Parameters of a storage class or plugin pool, mount options, pools of a plugin. */
export const MAX_PARAMETERS = 256;
export const MAX_MOUNT_OPTIONS = 64;
export const MAX_POOLS = 256;

/** Nodes a Plugin manifest may list (agents usually register their plugins themselves). */
export const MAX_PLUGIN_NODES = 10_000;

/** Length of an image reference (Docker's own limit on a repository name is 255; tags and digests add to it). */
export const MAX_IMAGE_LENGTH = 1024;
