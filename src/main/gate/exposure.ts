import { BlockList, isIP } from 'node:net';

/** Addresses only this machine can reach. */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/** Whether `host` (an `EPDB_HOST` value) is an address only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true;
  const family = isIP(host);
  return family !== 0 && LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The warning to log when the bridge listens where other machines may reach it, as
 * `node --inspect` warns about a public address; `null` on loopback. A host name other than
 * `localhost` counts as reachable: it may resolve to anything.
 *
 * @param authenticated whether every bridge request needs a knock (fernet, jwt).
 */
export function exposureWarning(host: string, authenticated: boolean): string | null {
  if (isLoopbackHost(host)) return null;
  return authenticated
    ? `warning: the debug bridge listens on ${host}, which other machines may reach; only a valid knock lets a debugger in, but set EPDB_HOST=127.0.0.1 and use a tunnel unless you must (see SECURITY.md)`
    : `warning: the debug bridge listens on ${host}, which other machines may reach, and base64 authenticates nobody: anyone who reaches it can run code in this process; set EPDB_HOST=127.0.0.1`;
}
