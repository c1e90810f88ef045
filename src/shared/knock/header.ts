import type { AnyRequest } from '../any-request.js';

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
  // Apps, proxies and adapters also emit 'request' with objects of their own: whatever is not
  // a request as Node makes it has no knock, and must reach the app as it would without epdb.
  try {
    return knockHeaderOfRequest(req);
  } catch {
    return undefined;
  }
}

function knockHeaderOfRequest(req: AnyRequest): string | undefined | typeof DUPLICATE_KNOCK {
  if (typeof req !== 'object' || req === null) return undefined;
  // http2's compat request has no cheap rawHeaders (it is built on every access), but its
  // `headers` object already exists.
  if ('stream' in req) return knockHeaderOfHeaders(req.headers);
  const raw: unknown = req.rawHeaders;
  if (!Array.isArray(raw)) return undefined;
  let found: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name: unknown = raw[i];
    if (typeof name === 'string' && isKnockHeaderName(name)) {
      if (found !== undefined) return DUPLICATE_KNOCK;
      const value: unknown = raw[i + 1];
      if (typeof value !== 'string') return undefined;
      found = value;
    }
  }
  return found;
}

/**
 * The knock header's value in an HTTP/2 headers object (a compat request's `headers`, or the
 * object a `'stream'` listener gets, gRPC's metadata among it), as {@link knockHeaderOf} says.
 * Node joins repeated headers with ", ", which then fails to parse as a knock.
 */
export function knockHeaderOfHeaders(headers: unknown): string | undefined | typeof DUPLICATE_KNOCK {
  try {
    if (typeof headers !== 'object' || headers === null) return undefined;
    const fields = headers as Record<string, unknown>;
    const knock = fields['x-epdb'];
    const alias = fields['http-x-epdb'];
    if (knock === undefined && alias === undefined) return undefined;
    if (Array.isArray(knock ?? alias) || (knock !== undefined && alias !== undefined)) return DUPLICATE_KNOCK;
    const value = knock ?? alias;
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** `x-epdb` or `http-x-epdb` in any case; cheap rejection by length and first letter first. */
export function isKnockHeaderName(name: string): boolean {
  const length = name.length;
  if (length === 6) return (name.charCodeAt(0) | 0x20) === 0x78 /* x */ && name.toLowerCase() === 'x-epdb';
  if (length === 11) return (name.charCodeAt(0) | 0x20) === 0x68 /* h */ && name.toLowerCase() === 'http-x-epdb';
  return false;
}
