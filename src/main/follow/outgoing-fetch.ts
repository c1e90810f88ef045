import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { printable } from '../../shared/loggable.js';
import type { Follower } from './follower.js';
import { removeKnockHeaders } from './knock-header-name.js';

/** The channel undici (Node's `fetch`, and the npm package) announces each request on, before sending it. */
const REQUEST_CREATE = 'undici:request:create';

/** What epdb uses of an undici request (OpenTelemetry's undici instrumentation uses the same). */
interface UndiciRequest {
  readonly origin?: unknown;
  readonly method?: unknown;
  readonly path?: unknown;
  /** A flat `[name, value, ...]` array (undici 6 and later, every Node line epdb supports), or raw text in older undici. */
  headers?: unknown;
  addHeader?(name: string, value: string): unknown;
}

const KNOCK_LINES = /^(?:http-)?x-epdb:[^\r\n]*\r\n/gim;

/**
 * The `fetch` hook: on `undici:request:create` it takes any knock header the app put on the
 * request off it, and gives a request sent from a followed request's async context its next
 * hop's knock (`request.addHeader`), when `EPDB_FOLLOW` allows its host.
 *
 * @returns what unsubscribes it.
 */
export function hookFetch(follower: Follower): () => void {
  const onCreate = (message: unknown): void => {
    try {
      const request = (message as { request?: UndiciRequest } | null)?.request;
      if (request === undefined || request === null) return;
      strip(request, follower);
      const followed = follower.context.current();
      if (followed === undefined || typeof request.addHeader !== 'function') return;
      const origin = new URL(String(request.origin));
      const port = origin.port === '' ? (origin.protocol === 'https:' ? 443 : 80) : Number(origin.port);
      const knock = follower.hopKnockFor(followed, { host: origin.hostname, port, method: String(request.method ?? 'GET'), path: String(request.path ?? '/') });
      if (knock !== undefined) request.addHeader('x-epdb', knock);
    } catch {
      // Never into the app's fetch: at worst its request goes without a knock.
    }
  };
  subscribe(REQUEST_CREATE, onCreate);
  return () => unsubscribe(REQUEST_CREATE, onCreate);
}

function strip(request: UndiciRequest, follower: Follower): void {
  const { headers } = request;
  let removed = 0;
  if (Array.isArray(headers)) {
    removed = removeKnockHeaders(headers);
  } else if (typeof headers === 'string' && /x-epdb/i.test(headers)) {
    request.headers = headers.replace(KNOCK_LINES, () => {
      removed++;
      return '';
    });
  }
  if (removed > 0) follower.stripped(`${printable(String(request.method ?? '?'), 20)} ${printable(String(request.path ?? '/').split('?', 1)[0] ?? '/', 100)} to ${printable(String(request.origin ?? '?'), 100)}`);
}
