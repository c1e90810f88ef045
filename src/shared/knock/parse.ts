import { refusal } from './refusal.js';
import { MAX_KNOCK_BYTES } from './limits.js';

/** A knock header split into its two tokens, before any decoding. */
export interface ParsedKnock {
  /** The scheme word as sent (compare case-insensitively). */
  readonly scheme: string;
  readonly payload: string;
}

/** Printable ASCII plus space and tab: all a scheme word and a base64/JWT payload need. */
const PRINTABLE_ASCII = /^[\t\x20-\x7e]*$/;
const SEPARATORS = /[ \t]+/;

/**
 * Splits a knock header value into `<Scheme> <payload>`, refusing anything oversized or
 * oddly shaped before a backend spends time on it.
 *
 * @throws {KnockError} `ERR_EPDB_KNOCK_TOO_LARGE`, `ERR_EPDB_KNOCK_NOT_ASCII` or `ERR_EPDB_KNOCK_SHAPE`.
 */
export function parseKnock(value: string): ParsedKnock {
  // Header values reach JavaScript as latin1, one character a byte: length is the byte count.
  if (value.length > MAX_KNOCK_BYTES) {
    throw refusal('ERR_EPDB_KNOCK_TOO_LARGE', `header is ${value.length} bytes, over the ${MAX_KNOCK_BYTES}-byte limit`);
  }
  if (!PRINTABLE_ASCII.test(value)) {
    throw refusal('ERR_EPDB_KNOCK_NOT_ASCII', 'header has bytes that are not printable ASCII');
  }
  const tokens = value.trim().split(SEPARATORS);
  if (tokens.length !== 2 || tokens[0] === '') {
    const count = tokens[0] === '' ? 0 : tokens.length;
    throw refusal('ERR_EPDB_KNOCK_SHAPE', `expected "<Scheme> <payload>", got ${count} token${count === 1 ? '' : 's'}`);
  }
  return { scheme: tokens[0] as string, payload: tokens[1] as string };
}
