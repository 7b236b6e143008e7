import { aborted, invalidArgument } from './errors';

/**
 * CSI list pagination over a stably sorted list: the token is the index of the next entry. A token this
 * plugin could not have issued is ABORTED (what the spec asks for), a negative max_entries INVALID_ARGUMENT.
 */
export function parsePaging(startingToken: string, maxEntries: number, total: number): { start: number; end: number } {
  if (maxEntries < 0) throw invalidArgument('max_entries must not be negative');
  const start = startingToken === '' ? 0 : Number(startingToken);
  if (!/^\d*$/.test(startingToken) || !Number.isSafeInteger(start) || start > total) {
    throw aborted(`starting_token ${JSON.stringify(startingToken)} is not valid`);
  }
  return { start, end: maxEntries === 0 ? total : Math.min(total, start + maxEntries) };
}
