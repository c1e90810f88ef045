import type { AnyRequest } from '../types.js';

/** Returned by {@link knockHeaderOf} when a request carries the knock header more than once. */
export const DUPLICATE_KNOCK = Symbol('epdb.duplicateKnock');

/**
 * The knock header's value (`X-EPDB`, or its alias `HTTP-X-EPDB`), `undefined` when there is
 * none, or {@link DUPLICATE_KNOCK} when there are several.
 *
 * This runs for every request, so it scans `rawHeaders` (already there) instead of reading
 * `req.headers`, which Node builds lazily and would build for apps that never look at it.
 */
export function knockHeaderOf(req: AnyRequest): string | undefined | typeof DUPLICATE_KNOCK {
  // http2's compat request has no cheap rawHeaders (it is built on every access), but its
  // `headers` object already exists; duplicates arrive joined with ", " and fail to parse.
  if ('stream' in req) {
    const value = req.headers['x-epdb'] ?? req.headers['http-x-epdb'];
    if (value === undefined) return undefined;
    if (Array.isArray(value) || (req.headers['x-epdb'] !== undefined && req.headers['http-x-epdb'] !== undefined)) {
      return DUPLICATE_KNOCK;
    }
    return value;
  }
  const raw = req.rawHeaders;
  let found: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (isKnockHeaderName(raw[i] as string)) {
      if (found !== undefined) return DUPLICATE_KNOCK;
      found = raw[i + 1] as string;
    }
  }
  return found;
}

/** `x-epdb` or `http-x-epdb` in any case; cheap rejection by length and first letter first. */
function isKnockHeaderName(name: string): boolean {
  const length = name.length;
  if (length === 6) return (name.charCodeAt(0) | 0x20) === 0x78 /* x */ && name.toLowerCase() === 'x-epdb';
  if (length === 11) return (name.charCodeAt(0) | 0x20) === 0x68 /* h */ && name.toLowerCase() === 'http-x-epdb';
  return false;
}
