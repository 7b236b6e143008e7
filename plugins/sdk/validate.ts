import { invalidArgument, notFound } from './errors';

/** Throws INVALID_ARGUMENT naming the field when a required string is missing or empty. */
export function requireString(value: string | undefined | null, field: string): string {
  if (value === undefined || value === null || value === '') throw invalidArgument(`${field} is required`);
  return value;
}

/** Throws INVALID_ARGUMENT when a required message or list is missing or empty. */
export function requirePresent<T>(value: T | undefined | null, field: string): T {
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) {
    throw invalidArgument(`${field} is required`);
  }
  return value;
}

/**
 * Ids become directory and file names, so they are checked against a strict alphabet before they get
 * anywhere near a path: no '/', no '..', no NUL, no leading dot, bounded length. An id of the wrong shape
 * cannot name anything this plugin created, so for lookups it is NOT_FOUND; for names it is INVALID_ARGUMENT.
 */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function isSafeId(id: string): boolean {
  return SAFE_ID.test(id) && !id.includes('..');
}

export function requireSafeIdForLookup(id: string | undefined, field: string): string {
  const value = requireString(id, field);
  if (!isSafeId(value)) throw notFound(`${field} ${JSON.stringify(value)} does not name an object of this plugin`);
  return value;
}

/** Absolute path check for paths handed to us by the CO (staging and target paths). */
export function requireAbsolutePath(p: string | undefined, field: string): string {
  const value = requireString(p, field);
  if (!value.startsWith('/') || value.includes('\0') || value.split('/').includes('..')) {
    throw invalidArgument(`${field} must be an absolute path without '..' components`);
  }
  return value;
}
