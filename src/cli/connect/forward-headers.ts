import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Headers that describe one hop, not the request: never passed through a proxy. */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade',
]);

/** A client's own knock headers are replaced by ours, never passed on. */
const KNOCK_HEADERS = new Set(['x-epdb', 'http-x-epdb']);

/**
 * The headers of a request as forwarded to the bridge: `Host` set to the bridge's (it only
 * accepts an IP address or `localhost`, as Node's inspector does), a fresh `X-EPDB` knock when
 * the backend authenticates, and the WebSocket handshake kept for an upgrade.
 */
export function bridgeRequestHeaders(
  incoming: IncomingHttpHeaders,
  bridgeAuthority: string,
  knock: string | null,
  isUpgrade: boolean,
): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || name === 'host' || KNOCK_HEADERS.has(name)) continue;
    if (HOP_BY_HOP.has(name) && !(isUpgrade && (name === 'connection' || name === 'upgrade'))) continue;
    headers[name] = value;
  }
  headers['host'] = bridgeAuthority;
  if (knock !== null) headers['x-epdb'] = knock;
  return headers;
}

/** The headers of the bridge's answer as passed back to the client (minus hop-by-hop ones). */
export function clientResponseHeaders(incoming: IncomingHttpHeaders): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  }
  return headers;
}

/** An HTTP/1.1 response head (status line and headers) for writing on a raw socket. */
export function rawResponseHead(statusCode: number, statusMessage: string, rawHeaders: readonly string[]): string {
  let head = `HTTP/1.1 ${statusCode} ${statusMessage}\r\n`;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) head += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
  return `${head}\r\n`;
}
