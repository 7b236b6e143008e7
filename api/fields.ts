/** Schema fragments several routes share. */

/** An app, task, storage class, recovery point or restore name in a path. */
export const NAME = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$' } as const;
/** A backup id: a Berth id (`bk-…`) or a repository manifest id. */
export const BACKUP_ID = { type: 'string', pattern: '^[0-9A-Za-z_-]{1,64}$' } as const;
/** A repository by name, or by its location (an absolute path). */
export const REPOSITORY = { type: 'string', minLength: 1, maxLength: 4096 } as const;

/** A claim id `<app>/<volume template>/<instance>` (its slashes URL-encoded in a path). */
export const CLAIM_ID = { type: 'string', maxLength: 300, pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}/[A-Za-z0-9][A-Za-z0-9_.-]{0,127}/[0-9]{1,6}$' } as const;

/** Path parameters `:name` / `:id`. */
export const byName = { type: 'object', required: ['name'], properties: { name: NAME } } as const;
export const byId = { type: 'object', required: ['id'], properties: { id: NAME } } as const;

/** A route that reads no query string: any parameter given is a mistake and refused. */
export const NO_QUERY = { type: 'object', additionalProperties: false, properties: {} } as const;

/**
 * Lists answer blocking queries (as Nomad's do): with ?index=N (the x-berth-index of an earlier answer)
 * the answer waits until something changed after N, at most waitMs — a watch without polling.
 */
export const BLOCKING_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: { index: { type: 'integer', minimum: 0 }, waitMs: { type: 'integer', minimum: 0, maximum: 300_000 } },
} as const;

/** The answer of a list. */
export interface Items<T> {
  items: T[];
}
/** The answer of a delete, scale and the like: what was done, in words. */
export interface Message {
  message: string;
}

/** The body of every refused request (4xx) and failure (5xx). `errors` lists each problem of a manifest by path. */
export const PROBLEM = {
  type: 'object',
  required: ['message'],
  properties: {
    message: { type: 'string' },
    errors: { type: 'array', items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } } },
  },
} as const;
export interface Problem {
  message: string;
  errors?: { path: string; message: string }[];
}
