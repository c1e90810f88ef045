import { isIP } from 'node:net';

/** `host:port` as it goes in a Host header, a URL or a log line (an IPv6 host in brackets). */
export function authorityOf(address: { readonly host: string; readonly port: number }): string {
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
