/**
 * Text from the wire made safe for one log line: everything a client chose (paths, methods,
 * scheme words) goes through here before it is logged.
 */

/** No control characters or non-ASCII from the wire in a log line (they could forge lines), and at most `maxLength` characters. */
export function printable(text: string, maxLength = 200): string {
  const short = text.length > maxLength ? `${text.slice(0, maxLength)}...` : text;
  return short.replace(/[^\x21-\x7e]/g, '?');
}

/**
 * The request's path without its query string (which may hold secrets, a knock among them),
 * short and printable. An app or adapter may emit 'request' with an object of its own, so
 * `url` can be anything.
 */
export function loggablePath(url: unknown): string {
  if (typeof url !== 'string') return '/';
  const query = url.indexOf('?');
  return printable(query === -1 ? url : url.slice(0, query));
}

/** The method for a log line; like `url`, it can be anything on a request Node did not make. */
export function loggableMethod(method: unknown): string {
  return typeof method === 'string' ? printable(method, 20) : '?';
}
