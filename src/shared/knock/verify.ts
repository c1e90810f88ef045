import type { EPDBBackend } from '../backends/backend.js';
import { printable } from '../loggable.js';
import { refusal } from './refusal.js';
import type { AcceptedKnock } from './accepted-knock.js';
import { parseKnock } from './parse.js';
import { checkConnectOption } from './connect-option.js';
import { checkFollowOption } from './follow-option.js';

/** Every scheme epdb knows, so a knock for another one says "wrong", not "unknown". */
const KNOWN_SCHEMES = new Map([['base64', 'Base64'], ['fernet', 'Fernet'], ['jwt', 'JWT']]);

/**
 * Checks a knock header value end to end: its shape, its scheme against `backend`'s, the
 * backend's decoding and authentication, and that it decodes to `{"epdb": {...}}`.
 *
 * @throws {KnockError} saying why the knock must be ignored.
 */
export async function verifyKnock(value: string, backend: EPDBBackend): Promise<AcceptedKnock> {
  const { scheme, payload } = parseKnock(value);
  if (scheme.toLowerCase() !== backend.scheme.toLowerCase()) {
    const known = KNOWN_SCHEMES.get(scheme.toLowerCase());
    if (known === undefined) {
      throw refusal('ERR_EPDB_KNOCK_UNKNOWN_SCHEME', `unknown scheme "${printable(scheme, 20)}" (this server expects ${backend.scheme})`);
    }
    throw refusal('ERR_EPDB_KNOCK_WRONG_SCHEME', `scheme ${known} does not match this server's backend (${backend.scheme})`);
  }
  const options = epdbOptionsOf(await backend.decode(payload));
  checkConnectOption(options, backend);
  checkFollowOption(options, backend);
  return { scheme: backend.scheme, options };
}

/** The object under `"epdb"`, checked the way the seed checks it, one reason per failure. */
export function epdbOptionsOf(decoded: unknown): Readonly<Record<string, unknown>> {
  if (!isPlainObject(decoded)) {
    throw refusal('ERR_EPDB_KNOCK_NOT_OBJECT', 'payload is not a dictionary');
  }
  if (!Object.hasOwn(decoded, 'epdb')) {
    throw refusal('ERR_EPDB_KNOCK_NO_EPDB_KEY', 'payload has no key named "epdb"');
  }
  const options = decoded['epdb'];
  if (!isPlainObject(options)) {
    throw refusal('ERR_EPDB_KNOCK_EPDB_NOT_OBJECT', '"epdb" in the payload is not a dictionary');
  }
  return options;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
