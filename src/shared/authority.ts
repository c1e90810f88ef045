import { isIP } from 'node:net';
import { formatPortRange, type PortRange } from './port-range.js';

/** `host:port` as it goes in a Host header, a URL or a log line (an IPv6 host in brackets). */
export function authorityOf(address: { readonly host: string; readonly port: number }): string {
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** `host:first-last` (or `host:port` for a range of one), as a user writes a range of ports. */
export function rangeAuthorityOf(range: { readonly host: string; readonly ports: PortRange }): string {
  return `${isIP(range.host) === 6 ? `[${range.host}]` : range.host}:${formatPortRange(range.ports)}`;
}

/** The two parts of `[HOST:]PORT` as written, before either is checked. */
export interface HostAndPortText {
  /** Without brackets; null when only a port was written. */
  readonly host: string | null;
  readonly port: string;
}

/**
 * Splits `[HOST:]PORT` (`9000`, `10.0.0.5:9000`, `[::1]:9000`) the one way every command reads
 * it; the inverse of {@link authorityOf}. Null when it is not that shape (an empty host, or an
 * IPv6 address without brackets). The caller checks the port (which ports it allows differs).
 */
export function splitHostPort(text: string): HostAndPortText | null {
  const bracketed = /^\[([^\]]+)\]:([^:]*)$/.exec(text);
  if (bracketed) return { host: bracketed[1] as string, port: bracketed[2] as string };
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { host: null, port: text };
  const host = text.slice(0, colon);
  if (host === '' || host.includes(':') || host.includes('[')) return null;
  return { host, port: text.slice(colon + 1) };
}
