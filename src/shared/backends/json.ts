import { refusal } from '../knock/refusal.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a decoded payload's bytes as UTF-8 JSON.
 *
 * @throws {KnockError} `ERR_EPDB_KNOCK_UNDECODABLE` when they are not.
 */
export function parseJsonBytes(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw refusal('ERR_EPDB_KNOCK_UNDECODABLE', 'payload does not decode to UTF-8 text');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw refusal('ERR_EPDB_KNOCK_UNDECODABLE', 'payload does not decode to JSON');
  }
}

const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const URL_SAFE_BASE64 = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}==|[A-Za-z0-9_-]{3}=)?$/;

/**
 * Decodes base64 strictly: `Buffer.from(text, 'base64')` skips characters it does not know,
 * which would let a mangled knock through as something else.
 *
 * @returns the bytes, or `undefined` when `text` is not canonical, padded base64 of that alphabet.
 */
export function decodeBase64Strictly(text: string, alphabet: 'standard' | 'url-safe'): Buffer | undefined {
  const pattern = alphabet === 'standard' ? STANDARD_BASE64 : URL_SAFE_BASE64;
  if (text === '' || !pattern.test(text)) return undefined;
  return Buffer.from(text, alphabet === 'standard' ? 'base64' : 'base64url');
}
