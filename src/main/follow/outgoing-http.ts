import type * as Http from 'node:http';
import type { ClientRequest } from 'node:http';
import { printable } from '../../shared/loggable.js';
import type { FollowedRequest } from './followed-request.js';
import type { Follower, OutgoingTarget } from './follower.js';
import { hasKnockHeader, isKnockHeaderName, withoutKnockHeader } from './knock-header-name.js';
import { wrapMethod } from './wrap-method.js';

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;
type ClientModule = Pick<typeof Http, 'request' | 'get'>;

/**
 * The node:http and node:https client hooks (as OpenTelemetry's instrumentation-http wraps
 * `request` and `get`): a request sent from a followed request's async context carries its next
 * hop's knock, when `EPDB_FOLLOW` allows its host; and no request ever carries a knock header
 * the app put on it (a proxy copying the incoming headers), which `ClientRequest#setHeader` and
 * a raw-headers array are checked for.
 */
export class HttpClientHooks {
  private readonly unwraps: (() => void)[] = [];
  private stopped = false;
  private setHeaderHooked = false;
  /** True while epdb builds a request with its own knock: its `setHeader` calls are let through. */
  private addingOwnKnock = false;

  constructor(private readonly follower: Follower) {}

  /**
   * Wraps node:http's or node:https's `request` and `get`, and (with the first of them)
   * `setHeader` and `appendHeader` of every client request: both modules' requests are
   * `ClientRequest`s. Called once the app has loaded the module, never to load it.
   */
  hookClientModule(builtin: 'http' | 'https'): void {
    if (!this.setHeaderHooked) {
      this.setHeaderHooked = true;
      this.hookSetHeader();
    }
    const module = require(`node:${builtin}`) as ClientModule;
    this.hookClient(module, `${builtin}:`);
  }

  private hookSetHeader(): void {
    const hooks = this;
    // node:http's exports are cheap once either client is loaded (both load _http_client).
    const { ClientRequest } = require('node:http') as typeof Http;
    const prototype = ClientRequest.prototype as unknown as Record<'setHeader' | 'appendHeader', AnyFunction | undefined>;
    for (const name of ['setHeader', 'appendHeader'] as const) {
      // appendHeader is Node 18.3+; both return the request, as the app expects.
      if (typeof prototype[name] !== 'function') continue;
      this.unwraps.push(wrapMethod(prototype as Record<string, AnyFunction>, name, (original) => function epdbSetHeader(this: unknown, header: unknown, value: unknown) {
        if (!hooks.stopped && !hooks.addingOwnKnock && isKnockHeaderName(header)) {
          hooks.follower.stripped(describe(this));
          return this;
        }
        return original.call(this, header, value);
      }));
    }
  }

  /** Undoes every wrap that is still outermost; the others pass everything through from now on. */
  unhook(): void {
    this.stopped = true;
    for (const unwrap of this.unwraps.splice(0)) unwrap();
  }

  private hookClient(module: ClientModule, protocol: 'http:' | 'https:'): void {
    const hooks = this;
    this.unwraps.push(wrapMethod(module as unknown as { request: AnyFunction }, 'request', (original) => function epdbRequest(this: unknown) {
      // The path of every request the app sends: a counter and, for raw-header arrays only, a scan.
      if (hooks.stopped) return original.apply(this, arguments as unknown as unknown[]);
      const followed = hooks.follower.context.current();
      // The arguments are read one by one: handing `arguments` itself to a function would make V8 build it.
      if (followed === undefined && !hasRawKnockHeader(arguments[0], arguments[1])) return original.apply(this, arguments as unknown as unknown[]);
      return hooks.send(original, this, Array.prototype.slice.call(arguments) as unknown[], protocol, followed);
    }));
    // `get` calls the module's own `request`, not the export: it is rebuilt on the wrapped one.
    this.unwraps.push(wrapMethod(module as unknown as { get: AnyFunction }, 'get', (original) => function epdbGet(this: unknown) {
      if (hooks.stopped) return original.apply(this, arguments as unknown as unknown[]);
      const request = (module.request as unknown as AnyFunction).apply(this, arguments as unknown as unknown[]) as ClientRequest;
      request.end();
      return request;
    }));
  }

  /** A request that is followed or carries a raw knock header: sent with the headers it should have. */
  private send(original: AnyFunction, self: unknown, args: unknown[], protocol: 'http:' | 'https:', followed: FollowedRequest | undefined): unknown {
    const split = splitArguments(args);
    if (split === undefined) return original.apply(self, args);
    const { url, options, rest } = split;
    const headers = options?.['headers'];
    const hadKnock = hasKnockHeader(headers);
    if (hadKnock) this.follower.stripped(`a request to ${printable(String(options?.['hostname'] ?? options?.['host'] ?? url?.hostname ?? 'localhost'), 100)}`);
    const target = followed === undefined ? undefined : targetOf(url, options, protocol);
    const knock = followed === undefined || target === undefined ? undefined : this.follower.hopKnockFor(followed, target);
    if (!hadKnock && knock === undefined) return original.apply(self, args);
    let kept: object = typeof headers === 'object' && headers !== null ? withoutKnockHeader(headers) : {};
    if (knock !== undefined) kept = Array.isArray(kept) ? [...kept, 'x-epdb', knock] : { ...kept, 'x-epdb': knock };
    const sent = { ...options, headers: kept };
    this.addingOwnKnock = knock !== undefined;
    try {
      return original.apply(self, url === undefined ? [sent, ...rest] : [url, sent, ...rest]);
    } finally {
      this.addingOwnKnock = false;
    }
  }
}

/**
 * Whether the options of `request(options[, cb])` or `request(url, options[, cb])` have raw
 * `[name, value, ...]` headers holding a knock (header objects go through `setHeader`).
 */
function hasRawKnockHeader(first: unknown, second: unknown): boolean {
  const options = typeof first === 'object' && first !== null && !(first instanceof URL) ? first : second;
  if (typeof options !== 'object' || options === null) return false;
  const headers = (options as { headers?: unknown }).headers;
  return Array.isArray(headers) && hasKnockHeader(headers);
}

/** `request`'s arguments as Node reads them; undefined for anything Node would refuse (it says why). */
function splitArguments(args: unknown[]): { url: URL | undefined; options: Record<string, unknown> | undefined; rest: unknown[] } | undefined {
  let url: URL | undefined;
  let index = 0;
  const first = args[0];
  if (typeof first === 'string') {
    try {
      url = new URL(first);
    } catch {
      return undefined;
    }
    index = 1;
  } else if (first instanceof URL) {
    url = first;
    index = 1;
  }
  const next = args[index];
  if (typeof next === 'object' && next !== null) return { url, options: next as Record<string, unknown>, rest: args.slice(index + 1) };
  return { url, options: undefined, rest: args.slice(index) };
}

/** Where Node will send the request (options over the URL, as `ClientRequest` merges them). */
function targetOf(url: URL | undefined, options: Record<string, unknown> | undefined, protocol: 'http:' | 'https:'): OutgoingTarget | undefined {
  const o = options ?? {};
  // A request over a Unix socket or a connection the app makes itself has no host to check.
  if (o['socketPath'] !== undefined || o['createConnection'] !== undefined) return undefined;
  const host = stringOr(o['hostname']) ?? stringOr(o['host']) ?? (url?.hostname || undefined) ?? 'localhost';
  const scheme = stringOr(o['protocol']) ?? url?.protocol ?? protocol;
  const agent = o['agent'] as { defaultPort?: unknown } | undefined;
  const port = Number(o['port'] ?? (url?.port || undefined) ?? o['defaultPort'] ?? agent?.defaultPort ?? (scheme === 'https:' ? 443 : 80));
  if (!Number.isInteger(port)) return undefined;
  const path = stringOr(o['path']) ?? (url === undefined ? '/' : `${url.pathname}${url.search}`);
  const method = (stringOr(o['method']) ?? 'GET').toUpperCase();
  return { host, port, method, path };
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function describe(request: unknown): string {
  const { host, method, path } = request as { host?: unknown; method?: unknown; path?: unknown };
  return `${printable(String(method ?? '?'), 20)} ${printable(String(path ?? '/').split('?')[0] ?? '/', 100)} to ${printable(String(host ?? '?'), 100)}`;
}
