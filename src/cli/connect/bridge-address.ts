import { splitHostPort } from '../../shared/authority.js';
import { DEFAULTS } from '../../shared/config.js';
import { parsePortRange, type PortRange } from '../../shared/port-range.js';
import { parsePort } from '../args.js';
import { UsageError } from '../errors.js';

/** Where a TCP peer listens. */
export interface Address {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `epdb connect`'s `[HOST:]PORT` (`9000`, `10.0.0.5:9000`, `[::1]:9000`); the host
 * defaults to 127.0.0.1, where the bridge binds unless `EPDB_HOST` says otherwise.
 */
export function parseBridgeAddress(text: string): Address {
  const parts = splitHostPort(text);
  if (parts === null) throw new UsageError(`connect: "${text}" is not [HOST:]PORT (write an IPv6 address as [::1]:9000)`);
  return { host: parts.host ?? DEFAULTS.host, port: parsePort(parts.port, 'connect') };
}

/** Where the bridges of a cluster listen: `epdb connect [HOST:]FIRST-LAST`. */
export interface BridgeRange {
  readonly host: string;
  readonly ports: PortRange;
}

/**
 * Parses `epdb connect`'s `[HOST:]FIRST-LAST` (`9001-9100`, `10.0.0.5:9001-9100`,
 * `[::1]:9001-9100`), or returns `null` when `text` names no range (it is `[HOST:]PORT`).
 */
export function parseBridgeRange(text: string): BridgeRange | null {
  const match = /^(?:\[([^\]]+)\]:|([^:[\]]*):)?(\d+\s*-\s*\d+)$/.exec(text);
  if (match === null) return null;
  const host = match[1] ?? match[2] ?? DEFAULTS.host;
  if (host === '') throw new UsageError(`connect: "${text}" has an empty host (write [HOST:]FIRST-LAST)`);
  const parsed = parsePortRange(match[3] as string);
  if (typeof parsed === 'string') throw new UsageError(`connect: ${parsed}`);
  return { host, ports: parsed.range };
}

/** The bridge's address when none is given: where the app's `EPDB_HOST`/`EPDB_PORT` put it. */
export function defaultBridgeAddress(host: string, port: number): Address {
  // A bridge bound to every interface is reached on loopback.
  return { host: host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host, port };
}

/** `host:port` as it goes in a Host header or a URL (IPv6 in brackets); shared with the gate's log lines. */
export { authorityOf, rangeAuthorityOf } from '../../shared/authority.js';
