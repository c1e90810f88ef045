import { hostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import { splitHostPort } from '../../shared/authority.js';
import { UsageError } from '../errors.js';

/** The accept address for a knock: this machine's first outside address when bound to all. */
export function reachableHost(host: string): string {
  if (host !== '0.0.0.0' && host !== '::') return isIP(host) === 6 ? `[${host}]` : host;
  for (const addresses of Object.values(networkInterfaces())) {
    const outside = addresses?.find((address) => address.family === 'IPv4' && !address.internal);
    if (outside !== undefined) return outside.address;
  }
  return hostname();
}

/**
 * `[HOST:]PORT` where processes dial in (a bare port binds all addresses; `0`, any free port).
 *
 * @throws {UsageError} naming `what` (the option) when it is not.
 */
export function parseAccept(text: string, what: string): { host: string; port: number } {
  const parts = splitHostPort(text);
  if (parts === null) throw new UsageError(`${what}: "${text}" is not [HOST:]PORT (write an IPv6 address as [::]:9230)`);
  return { host: parts.host ?? '0.0.0.0', port: portOrZero(parts.port, what) };
}

function portOrZero(text: string, what: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`${what}: "${text}" is not a port number (0-65535)`);
  return port;
}

