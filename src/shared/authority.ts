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
