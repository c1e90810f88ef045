import type { EPDBBackend } from '../backends/backend.js';
import { parseDialAddress } from '../reverse/address.js';
import { refusal } from './refusal.js';

/**
 * Checks a knock's `"connect"` option (`{"epdb": {"connect": "HOST:PORT"}}`): it makes the
 * process dial out and hand a debugger to whoever answers there, so it is honoured only from a
 * knock that proves its maker holds the key (fernet, jwt), and only as a `[ws|wss]://HOST:PORT`.
 *
 * @throws {KnockError} `ERR_EPDB_KNOCK_CONNECT` saying why the knock must be ignored.
 */
export function checkConnectOption(options: Readonly<Record<string, unknown>>, backend: EPDBBackend): void {
  const connect = options['connect'];
  if (connect === undefined) return;
  if (!backend.authenticates) {
    throw refusal('ERR_EPDB_KNOCK_CONNECT', `"connect" is honoured only with fernet or jwt: a ${backend.scheme} knock proves nothing, and the process would hand a debugger to whatever it names (set EPDB_CONNECT on the server instead)`);
  }
  if (backend.sharedKey === undefined) {
    throw refusal('ERR_EPDB_KNOCK_CONNECT', `"connect" needs a backend that can prove its key to epdb listen; ${backend.scheme} cannot`);
  }
  if (typeof connect !== 'string') throw refusal('ERR_EPDB_KNOCK_CONNECT', '"connect" is not a string');
  const address = parseDialAddress(connect);
  if (typeof address === 'string') throw refusal('ERR_EPDB_KNOCK_CONNECT', `"connect": ${address}`);
}
