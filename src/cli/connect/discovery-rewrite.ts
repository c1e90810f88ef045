/** The inspector's discovery endpoints, whose answers advertise the bridge's own address. */
const DISCOVERY_PATHS = new Set(['/json', '/json/list', '/json/version']);

/** Fields of a discovery answer that carry a WebSocket address. */
const URL_FIELDS = ['webSocketDebuggerUrl', 'devtoolsFrontendUrl', 'devtoolsFrontendUrlCompat'];

/** Whether the answer to `url` (a request path) lists debugger addresses to rewrite. */
export function isDiscoveryPath(url: string): boolean {
  const path = url.split('?')[0] as string;
  return DISCOVERY_PATHS.has(path.endsWith('/') && path.length > 1 ? path.slice(0, -1) : path);
}

/**
 * Rewrites a discovery answer (a JSON target list or version object) so that every advertised
 * WebSocket address (`ws://HOST:PORT/...` and DevTools' `ws=HOST:PORT/...`) points at
 * `localAuthority`, where the forward listens; the debugger then connects back through it.
 * Returns the body unchanged when it is not JSON.
 */
export function rewriteDiscoveryBody(body: string, localAuthority: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  const targets = Array.isArray(parsed) ? parsed : [parsed];
  for (const target of targets) {
    if (typeof target !== 'object' || target === null) continue;
    const record = target as Record<string, unknown>;
    for (const field of URL_FIELDS) {
      const value = record[field];
      if (typeof value === 'string') record[field] = rewriteWebSocketAuthority(value, localAuthority);
    }
  }
  return JSON.stringify(parsed, null, 2);
}

/** Replaces the authority of `ws://`/`wss://` URLs and of `ws=`/`wss=` query values. */
export function rewriteWebSocketAuthority(value: string, localAuthority: string): string {
  // The forward serves plain ws locally, whatever the bridge speaks.
  return value
    .replace(/\bwss?:\/\/[^/?#\s"]+/g, `ws://${localAuthority}`)
    .replace(/([?&])wss?=[^/&#\s"]+/g, `$1ws=${localAuthority}`);
}
