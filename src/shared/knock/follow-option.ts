import type { EPDBBackend } from '../backends/backend.js';
import { refusal } from './refusal.js';

/**
 * Checks a knock's `"follow"` option (`{"epdb": {"follow": true}}`): it makes the process pass a
 * knock on to other services, so it is honoured only from a knock that proves its maker holds
 * the key (fernet, jwt), and only with a backend that can make the next hop's knock at once.
 * A knock for a later hop (with `"hop"`) must follow too.
 *
 * @throws {KnockError} `ERR_EPDB_KNOCK_FOLLOW` saying why the knock must be ignored.
 */
export function checkFollowOption(options: Readonly<Record<string, unknown>>, backend: EPDBBackend): void {
  const follow = options['follow'];
  if (follow === undefined) {
    if (options['hop'] !== undefined) throw refusal('ERR_EPDB_KNOCK_FOLLOW', '"hop" without "follow"');
    return;
  }
  if (follow !== true) throw refusal('ERR_EPDB_KNOCK_FOLLOW', '"follow" must be true');
  if (!backend.authenticates) {
    throw refusal('ERR_EPDB_KNOCK_FOLLOW', `"follow" is honoured only with fernet or jwt: a ${backend.scheme} knock proves nothing, and the process would pass knocks on for anyone`);
  }
  if (backend.encodeNow === undefined) {
    throw refusal('ERR_EPDB_KNOCK_FOLLOW', `"follow" needs a backend that can make a knock synchronously; ${backend.scheme} cannot`);
  }
}
