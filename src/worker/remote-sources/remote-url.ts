import { fileURLToPath } from 'node:url';

/**
 * The origin of the URLs under which a DevTools front end is given the server's files.
 * DevTools loads a source map through the target (`Network.loadNetworkResource`) only when its
 * URL is not `file:`, `data:` or `devtools:` (devtools-frontend, `PageResourceLoader`), so a
 * `file:` map URL never reaches the bridge. `.invalid` never resolves (RFC 6761): a front end
 * that falls back to fetching such a URL itself reaches nobody.
 */
export const REMOTE_ORIGIN = 'http://epdb.invalid';

/** `file:///app/dist/a.js.map` -> `http://epdb.invalid/app/dist/a.js.map`; null for any other URL. */
export function remoteUrlOf(fileUrl: string): string | null {
  const url = parsed(fileUrl);
  if (url === null || url.protocol !== 'file:' || url.host !== '') return null;
  return `${REMOTE_ORIGIN}${url.pathname}`;
}

/**
 * The absolute path that a URL a client asks for names: a `file:` URL without a host, or a URL
 * under {@link REMOTE_ORIGIN}. Null for anything else, and for any URL with a `..` segment (in
 * any spelling), a query, a fragment, user info or an encoded `/`: a name is compared only as
 * the loaded scripts give it.
 */
export function pathOfRequestedUrl(text: string): string | null {
  if (DOT_DOT_SEGMENT.test(text)) return null;
  const url = parsed(text);
  if (url === null || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') return null;
  let fileUrl: string;
  if (url.protocol === 'file:' && url.host === '') fileUrl = url.href;
  else if (url.origin === REMOTE_ORIGIN && url.protocol === 'http:') fileUrl = `file://${url.pathname}`;
  else return null;
  try {
    return fileURLToPath(fileUrl);
  } catch {
    return null; // an encoded `/` or `\`, a Windows path without a drive...
  }
}

/** `..` as a path segment, also percent-encoded (`%2e%2e`, `.%2E`), before the URL parser folds it away. */
const DOT_DOT_SEGMENT = /(?:^|[/\\])(?:\.|%2e){2}(?:[/\\?#]|$)/i;

function parsed(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}
