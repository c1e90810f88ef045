import { IncomingMessage } from 'node:http';

/**
 * Node's own lazy getters on a request (`req.headers`, `req.trailers`, and their `…Distinct`
 * forms), read for a probe without calling them. They build their object from `rawHeaders` on
 * first access and keep it: a write, so V8's side-effect-free evaluation refuses them while the
 * object is not built yet. Node 20's server built `req.headers` before the app ran; from Node 22
 * on it is built only when something asks, and `req.headers` in a snapshot was refused. Here the
 * value is what the getter would answer: its kept object when there is one, else one made from
 * the raw lines by Node's own rules (lib/_http_incoming.js `_addHeaderLine`); the request is
 * left exactly as it was.
 */

/** What a getter would answer for `request`, computed without touching it. */
type LazyValue = (request: object) => unknown;

/** Headers whose duplicates Node drops (the first one wins) unless `joinDuplicateHeaders` is set. */
const FIRST_WINS = new Set([
  'content-type', 'content-length', 'user-agent', 'referer', 'host', 'authorization', 'proxy-authorization',
  'if-modified-since', 'if-unmodified-since', 'from', 'location', 'max-forwards', 'retry-after', 'etag',
  'last-modified', 'server', 'age', 'expires',
]);

let getters: Map<Function, LazyValue> | null = null;

/** The side-effect-free stand-in for getter `get`, or undefined when it is not one of Node's lazy ones. */
export function lazyNodeGetter(get: Function | undefined): LazyValue | undefined {
  if (get === undefined) return undefined;
  getters ??= knownGetters();
  return getters.get(get);
}

function knownGetters(): Map<Function, LazyValue> {
  const known = new Map<Function, LazyValue>();
  const add = (name: string, value: LazyValue): void => {
    const get = Reflect.getOwnPropertyDescriptor(IncomingMessage.prototype, name)?.get;
    if (get !== undefined) known.set(get, value);
  };
  add('headers', (request) => kept(request, 'kHeaders') ?? joined(rawLines(request, 'rawHeaders'), joinsDuplicates(request)));
  add('trailers', (request) => kept(request, 'kTrailers') ?? joined(rawLines(request, 'rawTrailers'), joinsDuplicates(request)));
  add('headersDistinct', (request) => kept(request, 'kHeadersDistinct') ?? distinct(rawLines(request, 'rawHeaders')));
  add('trailersDistinct', (request) => kept(request, 'kTrailersDistinct') ?? distinct(rawLines(request, 'rawTrailers')));
  return known;
}

/** The object the getter already built and kept under Node's private symbol `name`, if any. */
function kept(request: object, name: string): object | undefined {
  const value = ownValue(request, name);
  return typeof value === 'object' && value !== null ? value : undefined;
}

/**
 * `rawHeaders`/`rawTrailers` (name, value, name, value...), read by descriptor, as far as the
 * getter reads them: Node's count of lines (`kHeadersCount`/`kTrailersCount`) where it keeps one.
 */
function rawLines(request: object, name: 'rawHeaders' | 'rawTrailers'): readonly string[] {
  const lines = ownValue(request, name);
  if (!Array.isArray(lines)) return [];
  const count = ownValue(request, name === 'rawHeaders' ? 'kHeadersCount' : 'kTrailersCount');
  return (typeof count === 'number' ? lines.slice(0, count) : lines).map(String);
}

/** An own data property by name, or by a private symbol's description (`kHeadersCount`). */
function ownValue(request: object, name: string): unknown {
  const key = name.startsWith('k') ? Object.getOwnPropertySymbols(request).find((s) => s.description === name) : name;
  if (key === undefined) return undefined;
  const descriptor = Reflect.getOwnPropertyDescriptor(request, key);
  return descriptor !== undefined && 'value' in descriptor ? descriptor.value : undefined;
}

function joinsDuplicates(request: object): boolean {
  return ownValue(request, 'joinDuplicateHeaders') === true;
}

/** `req.headers` as Node builds it: set-cookie an array, cookie joined with '; ', the rest with ', ' or first wins. */
function joined(lines: readonly string[], joinDuplicates: boolean): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const name = (lines[i] as string).toLowerCase();
    const value = lines[i + 1] as string;
    const before = headers[name];
    if (name === 'set-cookie') headers[name] = Array.isArray(before) ? [...before, value] : [value];
    else if (before === undefined) headers[name] = value;
    else if (name === 'cookie') headers[name] = `${String(before)}; ${value}`;
    else if (!FIRST_WINS.has(name) || joinDuplicates) headers[name] = `${String(before)}, ${value}`;
  }
  return headers;
}

/** `req.headersDistinct`: every name to the list of its values. */
function distinct(lines: readonly string[]): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const name = (lines[i] as string).toLowerCase();
    (headers[name] ??= []).push(lines[i + 1] as string);
  }
  return headers;
}
