import { isIP } from 'node:net';

/** Where a debuggee dials an `epdb listen`: `EPDB_CONNECT`, a knock's `connect`, `--connect`. */
export interface DialAddress {
  /** `wss://` (TLS, the listener's certificate verified) or `ws://`. */
  readonly secure: boolean;
  /** A host name or an IP address (without brackets). */
  readonly host: string;
  readonly port: number;
  /** `host:port` as written in a URL (IPv6 in brackets), for log lines. */
  readonly authority: string;
  /** The WebSocket URL the debuggee opens. */
  readonly url: string;
}

/** The path at which `epdb listen` accepts debuggees; versioned with the handshake. */
export const DEBUGGEE_PATH = '/epdb/v1/debuggee';

const NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/**
 * Parses `[ws|wss]://HOST:PORT` or `HOST:PORT` (`[::1]:9230` for IPv6). A port is required: the
 * listener has no well-known one a debuggee could guess.
 *
 * @returns the address, or a sentence saying what is wrong with `text` (the caller names the
 *   variable, option or knock field it came from).
 */
export function parseDialAddress(text: string): DialAddress | string {
  const trimmed = text.trim();
  const scheme = /^(wss?):\/\//i.exec(trimmed);
  const secure = scheme?.[1]?.toLowerCase() === 'wss';
  const rest = scheme === null ? trimmed : trimmed.slice(scheme[0].length);
  const match = /^(?:\[([^\]]+)\]|([^:/[\]]+)):(\d{1,5})\/?$/.exec(rest);
  if (match === null) return `"${shorten(text)}" is not [ws://|wss://]HOST:PORT`;
  const host = (match[1] ?? match[2]) as string;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return `"${shorten(text)}" has no valid port (1-65535)`;
  const family = isIP(host);
  if (match[1] !== undefined ? family !== 6 : family === 0 && !NAME.test(host)) {
    return `"${shorten(text)}" has no valid host (a name, an IPv4 address or a bracketed IPv6 address)`;
  }
  const authority = family === 6 ? `[${host}]:${port}` : `${host}:${port}`;
  return { secure, host, port, authority, url: `${secure ? 'wss' : 'ws'}://${authority}${DEBUGGEE_PATH}` };
}

/** Whether two addresses name the same listener. */
export function sameDialAddress(a: DialAddress, b: DialAddress): boolean {
  return a.url.toLowerCase() === b.url.toLowerCase();
}

/** What to write for an address in a knock or `--connect`: `wss://` kept, `ws://` dropped. */
export function dialAddressText(address: DialAddress): string {
  return address.secure ? `wss://${address.authority}` : address.authority;
}

function shorten(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 80 ? `${printable.slice(0, 80)}...` : printable;
}
